export * from './schema';
export * from './canonical';
export * from './migrate';
export * from './topology';
export * from './validate';
