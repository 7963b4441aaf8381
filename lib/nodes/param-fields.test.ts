import { describe, expect, it } from 'vitest';
import { getNodeKind } from './catalog';
import { defaultParams, humanize, paramFields, paramIssues, showsExample, type FieldDescriptor } from './param-fields';

const fields = (kind: string) => paramFields(getNodeKind(kind)!.params);
const field = (kind: string, name: string) => fields(kind).find((f) => f.name === name) as FieldDescriptor;

describe('paramFields', () => {
  it('describes numbers with bounds and integers', () => {
    expect(field('train', 'epochs')).toMatchObject({ type: 'number', int: true, min: 1, max: 10000, default: 100, label: 'Epochs' });
    expect(field('train', 'learningRate')).toMatchObject({ type: 'number', int: false, exclusiveMin: 0, label: 'Learning rate' });
    expect(field('train', 'seed')).toMatchObject({ type: 'number', optional: true });
    expect('max' in field('train', 'seed')).toBe(false);
  });
  it('describes enums, booleans, strings and column pickers', () => {
    expect(field('train', 'optimizer')).toMatchObject({ type: 'enum', options: ['adam', 'sgd', 'rmsprop', 'adagrad'] });
    expect(field('standard_scale', 'withMean')).toMatchObject({ type: 'boolean', default: true });
    expect(field('dataset', 'target')).toMatchObject({ type: 'string', column: true, optional: true });
    expect(field('dataset', 'name')).toMatchObject({ type: 'string', column: false, optional: false });
    expect(field('select_columns', 'columns')).toMatchObject({ type: 'columns', minItems: 1 });
    expect(field('evaluate', 'gates')).toMatchObject({ type: 'stringList' });
    expect(field('impute', 'fillValue')).toMatchObject({ type: 'numberOrString' });
    expect(field('convnet', 'filters')).toMatchObject({ type: 'numberList', int: true });
    expect(field('dataset', 'schema').type).toBe('json');
  });
  it('describes lists of layers as object rows with a default row', () => {
    const f = field('mlp', 'layers');
    expect(f.type).toBe('objectList');
    if (f.type !== 'objectList') return;
    expect(f.fields.map((x) => `${x.name}:${x.type}`)).toEqual(['units:number', 'activation:enum', 'dropout:number']);
    expect(f.itemDefault).toEqual({ units: 32, activation: 'relu', dropout: 0 });
    expect(f.maxItems).toBe(32);
  });
  it('gives defaults for new nodes and issues per field path', () => {
    expect(defaultParams(getNodeKind('train')!.params)).toMatchObject({ epochs: 100, optimizer: 'adam' });
    expect(defaultParams(getNodeKind('dataset')!.params)).toEqual({ source: 'builtin' });
    expect(defaultParams(getNodeKind('select_columns')!.params)).toEqual({ columns: [] });
    const issues = paramIssues(getNodeKind('mlp')!.params, { layers: [{ units: 4 }, { units: 0 }] });
    expect(Object.keys(issues)).toEqual(['layers.1.units']);
    expect(paramIssues(getNodeKind('train')!.params, { epochs: 3 })).toEqual({});
    expect(humanize('with_mean')).toBe('With mean');
  });
  it("carries the kind's example value per field, for the form's hint", () => {
    const ds = getNodeKind('dataset')!;
    const byName = Object.fromEntries(paramFields(ds.params, ds.example).map((f) => [f.name, f.example]));
    expect(byName).toMatchObject({ source: 'builtin', name: 'cars', target: 'Miles_per_Gallon' });
    expect(byName.schema).toBeUndefined();
    expect(fields('dataset').every((f) => f.example === undefined)).toBe(true);
    // minmax_scale v2: one range field, edited as a pair of numbers
    expect(field('minmax_scale', 'featureRange')).toMatchObject({ type: 'numberList', minItems: 2, maxItems: 2, default: [0, 1] });
  });
});

describe('showsExample', () => {
  const fieldsOf = (kind: string) => {
    const k = getNodeKind(kind)!;
    return new Map(paramFields(k.params, k.example).map((f) => [f.name, f]));
  };

  it('hints a blank free-form field with the kind example', () => {
    const select = fieldsOf('select_columns').get('columns')!;
    expect(showsExample(select, undefined)).toBe(true);
    expect(showsExample(select, [])).toBe(true);
    expect(showsExample(select, ['Horsepower'])).toBe(false);
  });

  it('stays quiet where the control already shows it: selects, checkboxes, a default equal to the example', () => {
    const train = fieldsOf('train');
    expect(train.get('optimizer')!.type).toBe('enum');
    expect(showsExample(train.get('optimizer')!, undefined)).toBe(false);
    const epochs = train.get('epochs')!;
    expect(showsExample(epochs, undefined)).toBe(JSON.stringify(epochs.example) !== JSON.stringify(epochs.default));
    expect(showsExample({ name: 'x', label: 'X', optional: true, type: 'number', int: true, default: 5, example: 5 } as FieldDescriptor, undefined)).toBe(false);
  });
});
