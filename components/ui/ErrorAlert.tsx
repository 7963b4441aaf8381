import { errorMessage } from '../studio/trpc';

/** The error of a failed query or mutation as one alert line (after `prefix`); nothing while there is none. */
export function ErrorAlert({ error, prefix = '' }: { error: unknown; prefix?: string }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {prefix}
      {errorMessage(error)}
    </p>
  );
}
