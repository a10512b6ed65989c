export { connectOrExit } from './connections.ts';
export { listenOrExit } from './listen.ts';
export { type Dependency, unreachableDependency } from './outage.ts';
export { configFromEnvironment, openResources, type Resources, senders } from './resources.ts';
export { closeOnSignals, type ShutdownStep } from './shutdown.ts';
