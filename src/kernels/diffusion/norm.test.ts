import { kernelSuite } from '../../test/kernel-suite';
import { groupNormCases, layerNormCases } from './norm.cases';

await kernelSuite('groupnorm', groupNormCases);
await kernelSuite('layernorm', layerNormCases);
