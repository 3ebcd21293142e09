import { SSMC_DOMAIN } from '../../ir/node.js';
import { isLongConv, LONG_CONV } from '../../ir/ops/long-conv.js';
import { changed, type Pass } from '../pass.js';
import { rewriteNodes } from '../rewrite.js';
import { loweringOf, type ConvLowering } from './lowering.js';

/** The pass that lowers the LongConv nodes tagged with `lowering`: `lower-conv-<name>`. */
export function lowerConvPass(lowering: ConvLowering): Pass {
  const tagged = (n: Parameters<typeof isLongConv>[0]) => isLongConv(n) && loweringOf(n) === lowering.name;
  return {
    name: `lower-conv-${lowering.name}`,
    description: `LongConv (${lowering.name}) → ${lowering.description}`,
    run: (model) => changed(rewriteNodes(model, SSMC_DOMAIN, LONG_CONV, (b, node) => [lowering.lower(b, node)], tagged)),
    ensures: (model) => {
      const left = model.graph.nodes.find(tagged);
      return left ? `node '${left.name}' (LongConv, lowering ${lowering.name}) is still there` : null;
    },
  };
}
