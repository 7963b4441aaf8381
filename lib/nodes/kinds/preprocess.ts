/**
 * Barrel that registers every preprocessing node kind. The catalog imports this file once;
 * each kind's module calls `defineNode` when it is evaluated.
 */
import './select-columns';
import './drop-columns';
import './filter-rows';
import './impute';
import './one-hot';
import './ordinal-encode';
import './standard-scale';
import './minmax-scale';
import './binning';
import './polynomial-features';
import './pca';
import './split';
