import { keyString, setKey, type CheckpointObject, type CheckpointValue } from './checkpoint-value.js';
import { PyDict, PyObject, type PyValue } from './pickle.js';

const DICT_CONFIG = 'omegaconf.dictconfig.DictConfig';
const LIST_CONFIG = 'omegaconf.listconfig.ListConfig';
const VALUE_NODES = new Set(['AnyNode', 'StringNode', 'IntegerNode', 'FloatNode', 'BooleanNode', 'EnumNode', 'BytesNode', 'PathNode', 'InterpolationResultNode', 'ValueNode']);

/**
 * An omegaconf 2.x `DictConfig` / `ListConfig` / value node, as pickled (`__getstate__` gives a
 * dict with `_content` or `_val`, `_metadata` and `_parent`), as plain data: only the content is
 * read, never the parent links (which make cycles) or the metadata. Interpolations (`${…}`) and
 * the missing value `???` stay strings for the config resolver. Returns undefined for any other class.
 */
export function omegaConfToPlain(obj: PyObject, convert: (v: PyValue, depth: number) => CheckpointValue, depth: number): CheckpointValue | undefined {
  const cls = obj.what;
  const isDict = cls === DICT_CONFIG, isList = cls === LIST_CONFIG;
  const isNode = cls.startsWith('omegaconf.nodes.') && VALUE_NODES.has(cls.slice('omegaconf.nodes.'.length));
  if (!isDict && !isList && !isNode) return undefined;
  const state = obj.state instanceof PyDict ? obj.state : null;
  if (!state) return undefined;
  const field = (name: string): PyValue | undefined => state.entries.get(name)?.[1];
  if (isNode) return convert(field('_val') ?? null, depth + 1);
  const content = field('_content') ?? null;
  if (content === null || typeof content === 'string') return content;
  if (isDict && content instanceof PyDict) {
    const out: CheckpointObject = {};
    for (const [k, v] of content.entries.values()) setKey(out, keyString(k), convert(v, depth + 1));
    return out;
  }
  if (isList && Array.isArray(content)) return content.map((v) => convert(v, depth + 1));
  return undefined;
}
