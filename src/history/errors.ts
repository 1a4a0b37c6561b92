/**
 * Bad input: a file that cannot be read as a history. The CLI prints `message` as one line
 * and exits 254; no stack trace, because the fault is in the file, not in faultline.
 */
export class InputError extends Error {
  readonly reason: string;
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    reason: string,
  ) {
    // One line, always: parser messages may quote multi-line snippets of the input.
    const oneLine = reason.replace(/\s*[\r\n]+\s*/g, ' ');
    super(line === undefined ? `${file}: ${oneLine}` : `${file}:${line}: ${oneLine}`);
    this.reason = oneLine;
    this.name = 'InputError';
  }
}

/** A syntax error inside one file, before the file name is known to the parser. */
export class ParseError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'ParseError';
  }
}
