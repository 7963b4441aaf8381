/**
 * Log lines with a size limit. An error's message may carry what a user sent (a failed insert's
 * parameters, a request URL with its query, a cell of a dataset): printed whole, one bad upload
 * wrote 400 MB single log lines. Every line of a logged message is cut to a few KiB, saying how
 * much was left out, and a message keeps at most a few dozen lines (a stack is still readable).
 */

/** Characters kept of one log line. */
export const MAX_LOG_LINE_CHARS = 2048;
/** Lines kept of one logged message (a stack trace fits). */
export const MAX_LOG_LINES = 40;

/** `message` with each line cut to `maxChars` ("… (N more characters)") and at most `maxLines` lines. */
export function capLogLine(message: string, maxChars = MAX_LOG_LINE_CHARS, maxLines = MAX_LOG_LINES): string {
  if (message.length <= maxChars && !message.includes('\n')) return message;
  const out: string[] = [];
  let start = 0;
  let lines = 0;
  while (start <= message.length) {
    let end = message.indexOf('\n', start);
    if (end < 0) end = message.length;
    if (lines === maxLines) {
      let rest = 0;
      for (let i = start; i < message.length; i++) if (message.charCodeAt(i) === 10) rest++;
      out.push(`… (${rest + 1} more lines)`);
      break;
    }
    const len = end - start;
    out.push(len > maxChars ? `${message.slice(start, start + maxChars)}… (${len - maxChars} more characters)` : message.slice(start, end));
    lines++;
    if (end === message.length) break;
    start = end + 1;
  }
  return out.join('\n');
}

/** A logger that caps what it is given (see {@link capLogLine}) before passing it to `sink`. */
export function cappedLog(sink: (line: string) => void): (line: string) => void {
  return (line) => sink(capLogLine(line));
}
