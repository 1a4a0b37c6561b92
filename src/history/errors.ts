/**
 * Bad input: a file that cannot be read as a history. The CLI prints `message` as one line
 * and exits 254; no stack trace, because the fault is in the file, not in faultline.
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
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
