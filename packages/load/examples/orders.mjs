// A programmable scenario: called once per iteration, returns the iteration's steps. A step is a request, or a
// function of the values captured so far. Run it:
//   hotpath-load run examples/orders.mjs -R 20 -d 10s http://127.0.0.1:3000
export default function orders({ iteration }) {
  const user = `user${iteration % 100}`
  return [
    { name: 'login', method: 'POST', path: '/login', body: { user }, capture: { token: { json: 'token' } } },
    (vars) => ({
      name: 'create',
      method: 'POST',
      path: '/orders',
      headers: { authorization: `Bearer ${vars.token}` },
      body: { items: [iteration % 7, 42] },
      capture: { id: { json: 'order.id' } },
      expect: { status: 201 },
    }),
    (vars) => ({
      name: 'read',
      path: `/orders/${vars.id}`,
      headers: { authorization: `Bearer ${vars.token}` },
      expect: { status: 200 },
    }),
  ]
}
