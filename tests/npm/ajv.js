// ajv: compile a schema (ajv generates code with new Function: needs allow_eval),
// validate good and bad data, print the errors.
const Ajv = require('ajv');

const ajv = new Ajv({ allErrors: true });
const schema = {
  type: 'object',
  properties: {
    foo: { type: 'integer', minimum: 0 },
    bar: { type: 'string', maxLength: 5 },
    list: { type: 'array', items: { type: 'number' }, minItems: 1 },
  },
  required: ['foo'],
  additionalProperties: false,
};
const validate = ajv.compile(schema);
console.log('good:', validate({ foo: 1, bar: 'abc', list: [1, 2] }), validate.errors);
console.log('bad:', validate({ foo: -1, bar: 'too long', list: [], extra: true }));
for (const e of validate.errors) console.log(`  ${e.instancePath || '/'} ${e.keyword}: ${e.message}`);
console.log('text:', ajv.errorsText(validate.errors));
console.log('missing:', validate({}), JSON.stringify(validate.errors));
