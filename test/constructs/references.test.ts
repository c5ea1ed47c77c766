import { describe, expect, it } from 'vitest';
import { interpolate, Interpolation, referencesIn, secret, SecretRef, uniqueList, type ListItem } from '../../constructs/index.ts';
import { specErrorOf } from '../helpers/model.ts';

/** What a target makes of an item in these tests: a secret becomes its name in braces. */
const asText = (item: ListItem): string => {
  if (typeof item === 'string') return item;
  if (item instanceof SecretRef) return `{${item.name}}`;
  if (item instanceof Interpolation) return item.parts.map((part) => asText(part)).join('');
  return '?';
};

describe('uniqueList', () => {
  it('keeps the first of the items a target renders alike, in order, with the separator between', () => {
    const list = uniqueList(['b', 'a', 'b', 'c', 'a']);
    expect(list.distinct(asText)).toBe('b,a,c');
  });

  it('compares items as the target resolves them, so an item can be a duplicate on one target only', () => {
    const list = uniqueList([secret('HOST'), 'svc', 'localhost']);
    const onComposeLike = list.distinct((item) => (item instanceof SecretRef ? 'svc' : asText(item)));
    const onKubernetesLike = list.distinct(asText);
    expect(onComposeLike).toEqual(new Interpolation([secret('HOST'), ',localhost']));
    expect(onKubernetesLike).toEqual(new Interpolation([secret('HOST'), ',svc,localhost']));
  });

  it('flattens interpolated items into one value', () => {
    const list = uniqueList([interpolate`http://${secret('HOST')}:8080`, 'http://localhost:8080']);
    expect(list.distinct(asText)).toEqual(new Interpolation(['http://', secret('HOST'), ':8080,http://localhost:8080']));
  });

  it('exposes the references of its items, so using one still makes a dependency', () => {
    expect(referencesIn(uniqueList(['x', secret('A'), interpolate`${secret('B')}-y`]))).toEqual([secret('A'), secret('B')]);
  });

  it('cannot be part of an interpolation, where its items could not be told apart', () => {
    expect(() => interpolate`a ${uniqueList(['b'])}`).toThrow(/cannot be part of an interpolation/);
  });

  it('refuses items that no target could resolve', () => {
    expect(() => uniqueList('a,b' as never)).toThrow('uniqueList() takes an array of strings and references, got "a,b"');
    expect(() => uniqueList(['a', undefined as never])).toThrow('uniqueList(): item 1 must be a string, a reference or an interpolation, got undefined');
  });
});

describe('interpolate', () => {
  it('refuses a value it would have rendered wrong, instead of dropping it', () => {
    const settings: { host?: string } = {};
    const error = specErrorOf(() => interpolate`http://${settings.host as string}:8080`);
    expect(error.message).toBe('interpolate: the value after "http://" must be a string, a finite number or a reference, got undefined');
    expect(() => interpolate`port ${Number.NaN}`).toThrow(/got NaN/);
    expect(() => interpolate`${{} as string}`).toThrow(/got \{\}/);
  });

  it('says how to call it when called as a function', () => {
    expect(() => (interpolate as unknown as (text: string) => string)('plain')).toThrow('interpolate is a template tag');
  });
});
