'use strict'
// Reads a JSON array of evaluation requests on stdin and prints, for each, the
// evaluator's decision as one JSON array on stdout. Each request:
//   {"name": "...",
//    "identityPolicies": [{"name": "...", "policy": {...}}],
//    "serviceControlPolicies": [{"orgIdentifier": "r-x", "policies": [{"name", "policy"}]}],
//    "resourcePolicy": {...} | null,
//    "principal": "arn:...", "action": "svc:Action",
//    "resource": "arn:...", "resourceAccount": "111111111111",
//    "context": {"aws:RequestedRegion": "eu-west-1", ...}}
// Each answer: {"name", "decision": "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied"|"Error",
//               "denyStatements": [...sids], "errors": ...}
const { runSimulation } = require('@cloud-copilot/iam-simulate')

async function evaluate(req) {
  const simulation = {
    identityPolicies: req.identityPolicies || [],
    serviceControlPolicies: req.serviceControlPolicies || [],
    resourceControlPolicies: [],
    resourcePolicy: req.resourcePolicy || undefined,
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: req.resourceAccount },
      contextVariables: req.context || {}
    }
  }
  const res = await runSimulation(simulation, {})
  if (res.resultType === 'error') {
    return { name: req.name, decision: 'Error', errors: res.errors }
  }
  const analysis = res.resultType === 'single' ? res.result.analysis : undefined
  return {
    name: req.name,
    decision: res.overallResult,
    denyStatements: denySids(analysis)
  }
}

// denySids lists the Sids of the Deny statements that matched, from every
// policy type the evaluator reports.
function denySids(analysis) {
  const out = []
  if (!analysis) return out
  const visit = (v) => {
    if (!v || typeof v !== 'object') return
    if (Array.isArray(v)) return v.forEach(visit)
    for (const [k, val] of Object.entries(v)) {
      if (k === 'denyStatements' && Array.isArray(val)) {
        for (const s of val) {
          const id = s && (s.explain?.identifier ?? s.statement?.sid?.() ?? s.identifier)
          if (id !== undefined) out.push(String(id))
        }
      } else {
        visit(val)
      }
    }
  }
  visit(analysis)
  return [...new Set(out)].sort()
}

async function main() {
  let input = ''
  for await (const chunk of process.stdin) input += chunk
  const requests = JSON.parse(input)
  const answers = []
  for (const req of requests) answers.push(await evaluate(req))
  process.stdout.write(JSON.stringify(answers) + '\n')
}

main().catch((err) => {
  process.stderr.write(`evaluate.js: ${err && err.stack ? err.stack : err}\n`)
  process.exit(1)
})
