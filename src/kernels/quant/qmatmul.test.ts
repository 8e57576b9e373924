import { kernelSuite } from '../../test/kernel-suite';
import { qmatmulCases } from './qmatmul.cases';

await kernelSuite('qmatmul', qmatmulCases);
