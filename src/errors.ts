/**
 * An error caused by the user's input (model file, checkpoint, flags, ONNX file). The CLI prints
 * its message alone and exits with code 2; anything else is a bug and keeps its stack trace.
 * Messages name the field or tensor, the rule, and the fix.
 */
export class UserError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
}
