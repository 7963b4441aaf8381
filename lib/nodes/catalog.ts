/**
 * The node catalog: importing this module registers every built-in node kind.
 * Adding a kind = adding its file under kinds/ and one import here.
 */
import './kinds/dataset';
import './kinds/preprocess';
import './kinds/custom';
import './kinds/linear-regression';
import './kinds/lasso';
import './kinds/ridge';
import './kinds/logistic-regression';
import './kinds/mlp';
import './kinds/embedding-mlp';
import './kinds/convnet';
import './kinds/train';
import './kinds/ensemble';
import './kinds/evaluate';

export { getNodeKind, listNodeKinds } from './registry';
