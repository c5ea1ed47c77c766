'use client';

import { useId, useState, type FormEvent } from 'react';

/** The part of JSON Schema the form draws; anything else is edited as JSON text. */
export interface PropertySchema {
  readonly type?: string | string[];
  readonly title?: string;
  readonly description?: string;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly maxLength?: number;
}

export interface ObjectSchema {
  readonly type: 'object';
  readonly properties?: Record<string, PropertySchema>;
  readonly required?: readonly string[];
}

type FieldKind = 'text' | 'number' | 'integer' | 'boolean' | 'choice' | 'json';

function kindOf(schema: PropertySchema): FieldKind {
  if (schema.enum !== undefined) return 'choice';
  const type = Array.isArray(schema.type) ? schema.type.find((entry) => entry !== 'null') : schema.type;
  if (type === 'string') return 'text';
  if (type === 'number' || type === 'integer' || type === 'boolean') return type;
  return 'json';
}

/** Turns the form's text values into typed arguments, or names the field that is wrong. */
function toArguments(schema: ObjectSchema, values: Record<string, string | boolean>): Record<string, unknown> | string {
  const args: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const value = values[name];
    const label = property.title ?? name;
    const kind = kindOf(property);
    if (kind === 'boolean') {
      args[name] = value === true;
      continue;
    }
    if (value === undefined || value === '') continue;
    if (kind === 'number' || kind === 'integer') {
      const number = Number(value);
      if (!Number.isFinite(number) || (kind === 'integer' && !Number.isInteger(number))) return `${label} must be ${kind === 'integer' ? 'a whole number' : 'a number'}.`;
      args[name] = number;
    } else if (kind === 'choice') {
      args[name] = property.enum?.find((option) => String(option) === value);
    } else if (kind === 'json') {
      try {
        args[name] = JSON.parse(String(value));
      } catch {
        return `${label} must be valid JSON.`;
      }
    } else {
      args[name] = value;
    }
  }
  return args;
}

/** A form generated from a tool's input schema; each field labelled, required ones marked. */
export function SchemaForm({ schema, busy, onSubmit }: { schema: ObjectSchema; busy: boolean; onSubmit: (args: Record<string, unknown>) => void }) {
  const formId = useId();
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [problem, setProblem] = useState<string>();
  const required = new Set(schema.required ?? []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const args = toArguments(schema, values);
    if (typeof args === 'string') {
      setProblem(args);
      return;
    }
    setProblem(undefined);
    onSubmit(args);
  };
  const set = (name: string, value: string | boolean) => setValues((current) => ({ ...current, [name]: value }));

  return (
    <form className="schema-form" onSubmit={submit} aria-label="Tool arguments">
      {Object.entries(schema.properties ?? {}).map(([name, property]) => {
        const id = `${formId}-${name}`;
        const kind = kindOf(property);
        const label = (
          <label htmlFor={id}>
            {property.title ?? name}
            {required.has(name) && <span aria-hidden="true"> *</span>}
          </label>
        );
        const hint = property.description !== undefined ? <small id={`${id}-hint`}>{property.description}</small> : null;
        const common = { id, name, 'aria-describedby': property.description !== undefined ? `${id}-hint` : undefined, required: required.has(name) && kind !== 'boolean' };
        if (kind === 'boolean') {
          return (
            <div className="field checkbox" key={name}>
              <input {...common} type="checkbox" checked={values[name] === true} onChange={(event) => set(name, event.target.checked)} />
              {label}
              {hint}
            </div>
          );
        }
        return (
          <div className="field" key={name}>
            {label}
            {kind === 'choice' ? (
              <select {...common} value={String(values[name] ?? '')} onChange={(event) => set(name, event.target.value)}>
                <option value="">Choose…</option>
                {property.enum?.map((option) => (
                  <option key={String(option)} value={String(option)}>
                    {String(option)}
                  </option>
                ))}
              </select>
            ) : kind === 'json' ? (
              <textarea {...common} rows={3} value={String(values[name] ?? '')} onChange={(event) => set(name, event.target.value)} placeholder="JSON" />
            ) : (
              <input
                {...common}
                type={kind === 'text' ? 'text' : 'number'}
                step={kind === 'integer' ? 1 : 'any'}
                min={property.minimum}
                max={property.maximum}
                maxLength={property.maxLength}
                value={String(values[name] ?? '')}
                onChange={(event) => set(name, event.target.value)}
              />
            )}
            {hint}
          </div>
        );
      })}
      {problem !== undefined && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy && <span className="spinner" aria-hidden="true" />} Run tool
      </button>
    </form>
  );
}
