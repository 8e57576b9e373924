import { kernelSuite } from '../test/kernel-suite';
import { sampleCases } from './sample.cases';

await kernelSuite('sample', sampleCases);
