import type { z } from 'zod';

/**
 * Turns a zod issue into the lower-case, value-showing message style of our errors. zod's own
 * messages already say what was expected; we add what was received where zod kept it.
 */
export function formatZodIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'invalid value';
  const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  const received = 'input' in issue && issue.input !== undefined ? `, got ${JSON.stringify(issue.input)}` : '';
  return `${message}${received}`;
}
