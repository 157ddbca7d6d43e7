// Errors a user can act on: bad files, bad flags, a diverging run. The CLI
// prints their message alone (no stack) and exits with their code.

/** Exit status of a command run with bad flags or arguments. */
export const USAGE_EXIT = 2;

/** A failure caused by input or settings, not by a bug in mnistlab. */
export class UserError extends Error {
  /** Process exit status the CLI uses: 1 for failures, 2 for usage. */
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}
