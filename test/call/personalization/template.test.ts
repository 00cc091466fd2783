import t from 'tap'
import { renderTemplate } from '../../../src/engine/template'

t.test('{{ variable }} substitution; secrets never rendered; missing ones left visible', async t => {
  const r = renderTemplate('Hi {{customer_name}}, balance {{ balance }} ({{vip}}). Token {{secret__token}}. {{unknown}} {{system__caller_id}}',
    { customer_name: 'Ada', balance: 12.5, vip: true, secret__token: 'tok', system__caller_id: '+1555' })
  t.equal(r.text, 'Hi Ada, balance 12.5 (true). Token . {{unknown}} +1555')
  t.same(r.missing, ['unknown'])
  t.same(r.secretsRemoved, ['secret__token'])
  t.equal(renderTemplate('{{Customer_Name}}', { customer_name: 'x' }).text, '{{Customer_Name}}', 'names are case-sensitive')
  t.equal(renderTemplate('no placeholders', {}).text, 'no placeholders')
})
