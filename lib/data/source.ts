/** A dataset's text as parsing receives it (lib/data), from a file, an upload or a built-in dataset. */
export interface DataSource {
  /** display name (file name or built-in dataset) used in error messages */
  name: string;
  text: string;
  format: 'csv' | 'json';
}
