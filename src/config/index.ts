export { configFromCheckpoint } from './from-checkpoint.js';
export { resolveConfig, type ResolveOptions } from './interpolate.js';
export { parseYamlConfig } from './yaml.js';
export { Opaque, isConfigObject, pathString, type ConfigObject, type ConfigValue } from './types.js';
