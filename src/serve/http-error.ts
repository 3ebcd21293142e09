/**
 * A request the server refuses, with the HTTP status, the message (naming the field, the rule and
 * the fix, like the CLI's UserError) and, for OpenAI-shaped errors, the parameter at fault.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { param?: string | null; type?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, param: string | null = null) => new HttpError(400, message, { param, type: 'invalid_request_error' });
