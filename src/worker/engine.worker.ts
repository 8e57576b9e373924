// Worker entry: exposes the Engine over Comlink. Everything GPU-related runs on this thread, so a
// long compile or a slow software adapter never freezes the page.
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../engine/wire';
import { Engine } from './engine';

installErrorTransfer();
Comlink.expose(new Engine({ gpu: () => (self.navigator as Navigator & { gpu?: GPU }).gpu }));
