import { kernelSuite } from '../test/kernel-suite';
import { rmsnormCases } from './rmsnorm.cases';

await kernelSuite('rmsnorm', rmsnormCases);
