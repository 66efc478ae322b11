console.log(new Intl.NumberFormat('en-US').format(1234567.891));
console.log(new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(42.5));
console.log(new Intl.NumberFormat('en-US', { style: 'percent' }).format(0.256));
console.log(new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric', month: 'long', day: 'numeric' }).format(new Date(Date.UTC(2024, 0, 15))));
console.log((1234.5).toLocaleString('en-US'), ['b', 'a', 'C'].sort(new Intl.Collator('en').compare));
console.log(new Intl.PluralRules('en-US').select(1), new Intl.PluralRules('en-US').select(2));
