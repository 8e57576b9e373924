import { kernelSuite } from '../../test/kernel-suite';
import { qmatvecCases } from './qmatvec.cases';

await kernelSuite('qmatvec', qmatvecCases);
