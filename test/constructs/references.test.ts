import { describe, expect, it } from 'vitest';
import { interpolate, Interpolation, referencesIn, secret, SecretRef, uniqueList, type ListItem } from '../../constructs/index.ts';

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
});
