/** `ssmc/inspect`: reports, costs, drawings and diffs of any ONNX file (browser-safe). */
export * from './report.js';
export * from './format.js';
export * from './cost.js';
export * from './diff.js';
export * from './dot.js';
export * from './html.js';
export * from './shapes.js';
export * from './ssm.js';
export * from './walk.js';
