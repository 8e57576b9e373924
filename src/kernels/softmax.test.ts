import { kernelSuite } from '../test/kernel-suite';
import { softmaxCases } from './softmax.cases';

await kernelSuite('softmax', softmaxCases);
