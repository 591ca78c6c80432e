import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, parseFilter, sortBy } from './filter.ts';

const items = [
  { metadata: { name: 'hello', labels: { env: 'prod' } }, spec: { n: 10 }, ready: true, tags: ['a', 'b'] },
  { metadata: { name: 'hello-canary', labels: { env: 'dev' } }, spec: { n: 2 }, ready: false, tags: [] },
  { metadata: { name: 'world' }, spec: { n: 7 }, ready: true, tags: ['b'] },
];
const names = (f: string): string[] => items.filter(parseFilter(f)).map((i) => i.metadata.name);

describe('--filter (gcloud topic filters, common subset)', () => {
  it('matches has (:), equality, comparisons, regex, presence and any-of', () => {
    expect(names('metadata.name:hello')).toEqual(['hello', 'hello-canary']);
    expect(names('metadata.name:HELLO')).toEqual(['hello', 'hello-canary']);
    expect(names('metadata.name:canary')).toEqual(['hello-canary']);
    expect(names('metadata.name:wor*')).toEqual(['world']);
    expect(names('metadata.name=hello')).toEqual(['hello']);
    expect(names('metadata.name!=hello')).toEqual(['hello-canary', 'world']);
    expect(names('spec.n>5')).toEqual(['hello', 'world']);
    expect(names('spec.n<=7')).toEqual(['hello-canary', 'world']);
    expect(names('metadata.name~^h.*y$')).toEqual(['hello-canary']);
    expect(names('metadata.labels.env:*')).toEqual(['hello', 'hello-canary']);
    expect(names('metadata.labels.env:(dev prod)')).toEqual(['hello', 'hello-canary']);
    expect(names('tags:b')).toEqual(['hello', 'world']);
    expect(names('ready=true')).toEqual(['hello', 'world']);
    expect(names("metadata.name='hello-canary'")).toEqual(['hello-canary']);
  });

  it('combines terms with NOT, -, AND, OR, parentheses and implicit AND; bare words search everything', () => {
    expect(names('NOT metadata.name:hello')).toEqual(['world']);
    expect(names('-metadata.name:hello')).toEqual(['world']);
    expect(names('metadata.name:hello spec.n>5')).toEqual(['hello']);
    expect(names('metadata.name:hello AND spec.n>5')).toEqual(['hello']);
    expect(names('metadata.name=world OR spec.n<3')).toEqual(['hello-canary', 'world']);
    // OR binds tighter than AND, as in gcloud.
    expect(names('ready=true AND metadata.name=world OR metadata.name=hello')).toEqual(['hello', 'world']);
    expect(names('(metadata.name=world OR metadata.name=hello) -tags:a')).toEqual(['world']);
    expect(names('prod')).toEqual(['hello']);
    expect(() => parseFilter('(a:b')).toThrow(FilterSyntaxError);
    expect(() => parseFilter('a:')).toThrow(FilterSyntaxError);
  });

  it('sorts by fields, ~ for descending, numbers as numbers', () => {
    expect([...items].sort(sortBy(['spec.n'])).map((i) => i.spec.n)).toEqual([2, 7, 10]);
    expect([...items].sort(sortBy(['~metadata.name'])).map((i) => i.metadata.name)).toEqual([
      'world',
      'hello-canary',
      'hello',
    ]);
    expect([...items].sort(sortBy(['ready,~spec.n'])).map((i) => i.spec.n)).toEqual([2, 10, 7]);
  });
});
