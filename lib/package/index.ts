/**
 * Model packages (isomorphic): the package API plus the shared prediction path. Node file I/O is
 * in `./node`.
 */
export * from './package';
export { ModelRunner, applySteps, featureMatrix, inputTensors, loadMember, serializeModel, type PredictableModel, type Predictions } from './predictor';
