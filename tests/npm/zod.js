// zod: a schema, one value that parses and two that do not, with their issues.
const { z } = require('zod');

const User = z.object({
  name: z.string().min(2),
  age: z.number().int().positive(),
  email: z.string().email(),
  tags: z.array(z.string()).default([]),
  role: z.enum(['admin', 'user']),
});

const good = User.parse({ name: 'Ann', age: 33, email: 'ann@example.com', role: 'user' });
console.log('parse ok:', JSON.stringify(good));

const bad = User.safeParse({ name: 'A', age: -1.5, email: 'nope', tags: [1], role: 'root' });
console.log('success:', bad.success);
for (const issue of bad.error.issues) {
  console.log(`issue ${issue.path.join('.')}: ${issue.code}: ${issue.message}`);
}
console.log('flattened:', JSON.stringify(z.flattenError(bad.error)));

try {
  z.string().parse(42);
} catch (e) {
  console.log('threw:', e.name, e instanceof z.ZodError, e.issues.length);
}
const Num = z.coerce.number().transform((n) => n * 2);
console.log('coerce+transform:', Num.parse('21'));
console.log('infer-free json schema:', JSON.stringify(z.toJSONSchema(z.object({ a: z.string(), b: z.number().optional() }))));
