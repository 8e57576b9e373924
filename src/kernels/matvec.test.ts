import { kernelSuite } from '../test/kernel-suite';
import { matvecCases } from './matvec.cases';

await kernelSuite('matvec', matvecCases);
