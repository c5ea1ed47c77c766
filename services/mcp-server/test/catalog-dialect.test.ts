import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../src/catalog.ts';

const workflow = (inputSchema: Record<string, unknown>) => ({
  tools: [{ name: 'lookup_order', kind: 'workflow', title: 'Order lookup', description: 'Finds an order.', url: 'https://eo123abc.m.pipedream.net', inputSchema }],
});

/** `prefixItems` exists only in JSON Schema 2020-12; draft-07 spells tuples as an `items` array. */
const tuple2020 = { type: 'object', properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] } } };

describe('the JSON Schema dialect of catalog input schemas', () => {
  it('is 2020-12 when a schema names none, as MCP specifies', () => {
    const [tool] = parseCatalog(workflow(tuple2020), 'x', {});
    expect(tool?.checkArguments({ pair: ['a', 1] })).toBeUndefined();
    expect(tool?.checkArguments({ pair: ['a', 'b'] })).toMatch(/must be integer/);
  });

  it('accepts a schema that names 2020-12, with $defs and $ref', () => {
    const [tool] = parseCatalog(
      workflow({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        $defs: { city: { type: 'string', minLength: 2 } },
        properties: { city: { $ref: '#/$defs/city' } },
        additionalProperties: false,
      }),
      'x',
      {},
    );
    expect(tool?.checkArguments({ city: 'Oslo' })).toBeUndefined();
    expect(tool?.checkArguments({ city: 'O' })).toMatch(/must NOT have fewer than 2 characters/);
  });

  it('keeps draft-07 for a schema that names it', () => {
    const [tool] = parseCatalog(
      workflow({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] } } }),
      'x',
      {},
    );
    expect(tool?.checkArguments({ pair: ['a', 'b'] })).toMatch(/must be integer/);
  });
});
