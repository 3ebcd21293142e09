/**
 * A checkpoint file (torch.save zip archive, its pickle, or its storages) that breaks a rule of
 * its format, or asks for something ssmc does not do. The message names the file, the entry or
 * byte offset, the rule and the fix.
 */
export class CheckpointFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFormatError';
  }
}
