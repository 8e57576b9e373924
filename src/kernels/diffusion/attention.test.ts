import { kernelSuite } from '../../test/kernel-suite';
import { attentionCases } from './attention.cases';

await kernelSuite('diffusion-attention', attentionCases);
