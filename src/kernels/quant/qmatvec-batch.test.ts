import { kernelSuite } from '../../test/kernel-suite';
import { qmatvecBatchCases } from './qmatvec.cases';

await kernelSuite('qmatvec-batch', qmatvecBatchCases);
