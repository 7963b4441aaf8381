'use client';

/** An error: its name, message, and the cell line it happened on (highlighted in the editor). */
export function ErrorOutput({ name, message, line }: { name: string; message: string; line?: number }) {
  return (
    <div className="nb-out-error" role="alert">
      <strong>{name}</strong>: {message}
      {line ? <span className="nb-err-where"> (line {line})</span> : null}
    </div>
  );
}
