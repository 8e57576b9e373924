import { kernelSuite } from '../test/kernel-suite';
import { elementwiseCases } from './elementwise.cases';

await kernelSuite('elementwise', elementwiseCases);
