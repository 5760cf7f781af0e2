package audit

import (
	"fmt"
	"html/template"
	"io"
	"sort"
)

// htmlPage is what the HTML report renders; every value is escaped by
// html/template.
type htmlPage struct {
	Summary  string
	Stopped  string
	Sections []htmlSection
	Regions  []string
	Groups   []htmlGroup
	Targets  int
}

type htmlSection struct {
	Name, Status, Error string
	Findings            []Finding
}

type htmlGroup struct {
	Name string
	Rows []htmlRow
}

type htmlRow struct {
	Account string
	Cells   []htmlCell
}

// htmlCell is one account-region; an empty Status means the region is not
// in scope for that account.
type htmlCell struct {
	ID, Target, Status, Error string
	Findings                  []Finding
}

var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{"inc": func(n int) int { return n + 1 }}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Session Manager Run As audit</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; }
th { white-space: nowrap; }
.findings td { font-size: 12px; max-width: 40em; word-break: break-word; }
.grid td.cell { width: 5em; text-align: center; cursor: pointer; font-size: 12px; }
.grid tr.group th { background: #eee; }
.compliant { background: #b7e4b0; } .drift { background: #ffd98a; } .missing { background: #f4a3a3; }
.error { background: #c9a3e6; } .unchecked { background: #ddd; } .none { background: #fff; color: #aaa; }
.skipped { background: #eee; }
.status { padding: 1px 6px; border-radius: 3px; }
#details { position: sticky; top: 0; background: #fffbe8; border: 1px solid #e0d49a; padding: .5em 1em; margin: 1em 0; min-height: 2em; }
.legend span { margin-right: 1em; padding: 1px 6px; }
</style>
</head>
<body>
<h1>Session Manager Run As audit</h1>
<p id="summary">{{.Summary}}</p>
{{if .Stopped}}<p><strong>Stopped early:</strong> {{.Stopped}}</p>{{end}}
{{range .Sections}}
<h2>{{.Name}}: <span class="status {{.Status}}">{{.Status}}</span></h2>
{{if .Error}}<p>Could not check: {{.Error}}</p>{{end}}
{{if .Findings}}<table class="findings"><tr><th>check</th><th>subject</th><th>want</th><th>got</th></tr>
{{range .Findings}}<tr><td>{{.Check}}</td><td>{{.Subject}}</td><td>{{.Want}}</td><td>{{.Got}}</td></tr>
{{end}}</table>{{end}}
{{end}}
<h2>Accounts and regions</h2>
<p class="legend"><span class="compliant">compliant</span><span class="drift">drift</span><span class="missing">missing</span><span class="error">error</span><span class="unchecked">unchecked</span> Click a cell for its findings.</p>
<div id="details">Click a cell to see its findings.</div>
<table class="grid" data-targets="{{.Targets}}">
<tr><th>account</th>{{range .Regions}}<th>{{.}}</th>{{end}}</tr>
{{range .Groups}}<tr class="group"><th colspan="{{len $.Regions | inc}}">{{.Name}}</th></tr>
{{range .Rows}}<tr><th>{{.Account}}</th>{{range .Cells}}{{if .Status}}<td class="cell {{.Status}}" id="{{.ID}}" data-target="{{.Target}}" title="{{.Target}}: {{.Status}}{{range .Findings}}&#10;{{.Check}}{{if .Subject}} {{.Subject}}{{end}}: want {{.Want}}, got {{.Got}}{{end}}{{if .Error}}&#10;{{.Error}}{{end}}">{{.Status}}<template>{{if .Error}}<p>{{.Error}}</p>{{end}}{{if .Findings}}<ul>{{range .Findings}}<li><b>{{.Check}}</b>{{if .Subject}} {{.Subject}}{{end}}: want {{.Want}}, got {{.Got}}</li>{{end}}</ul>{{end}}</template></td>{{else}}<td class="none">&ndash;</td>{{end}}{{end}}</tr>
{{end}}{{end}}
</table>
<script>
(function () {
  var details = document.getElementById("details");
  function show(td) {
    var tpl = td.querySelector("template");
    details.replaceChildren();
    var head = document.createElement("strong");
    head.textContent = td.dataset.target + ": " + td.classList[1];
    details.appendChild(head);
    details.appendChild(tpl.content.cloneNode(true));
  }
  document.querySelectorAll("td.cell").forEach(function (td) {
    td.addEventListener("click", function () { show(td); location.hash = td.id; });
  });
  // A link to #<cell id> opens with that cell's findings shown.
  var linked = location.hash && document.getElementById(location.hash.slice(1));
  if (linked && linked.classList.contains("cell")) { show(linked); }
  document.body.dataset.ready = "true";
})();
</script>
</body>
</html>
`))

// WriteHTML writes the report as one self-contained page: the organization
// and Identity Center findings, then a grid of accounts (grouped by the OU
// each sits in) by regions, each cell coloured by status and showing its
// findings on hover and on click.
func (r Report) WriteHTML(w io.Writer) error {
	sm := r.Summary
	page := htmlPage{
		Summary: fmt.Sprintf("%d accounts, %d account-regions: %d compliant, %d drift, %d missing; %d could not be checked%s; %d organization and %d identity center findings.",
			sm.Accounts, sm.Targets, sm.Compliant, sm.Drift, sm.Missing, sm.NotChecked, r.notCheckedDetail(), sm.OrganizationFindings, sm.IdentityCenterFindings),
		Stopped: r.Stopped,
		Sections: []htmlSection{
			{Name: "Organization", Status: r.Organization.Status, Error: r.Organization.Error, Findings: r.Organization.Findings},
			{Name: "Identity Center", Status: r.IdentityCenter.Status, Error: r.IdentityCenter.Error, Findings: r.IdentityCenter.Findings},
		},
		Targets: len(r.Targets),
	}
	byTarget := map[string]Target{}
	regionSet := map[string]bool{}
	accountSet := map[string]bool{}
	for _, t := range r.Targets {
		byTarget[t.Account+"/"+t.Region] = t
		regionSet[t.Region] = true
		accountSet[t.Account] = true
	}
	for rg := range regionSet {
		page.Regions = append(page.Regions, rg)
	}
	sort.Strings(page.Regions)
	group := map[string]string{}
	for _, a := range r.Accounts {
		name := a.ParentName
		if name == "" {
			name = "management account"
		}
		group[a.ID] = name
		accountSet[a.ID] = true
	}
	rows := map[string][]htmlRow{}
	var accounts []string
	for a := range accountSet {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	n := 0
	for _, a := range accounts {
		row := htmlRow{Account: a}
		for _, rg := range page.Regions {
			t, ok := byTarget[a+"/"+rg]
			if !ok {
				row.Cells = append(row.Cells, htmlCell{})
				continue
			}
			n++
			row.Cells = append(row.Cells, htmlCell{ID: fmt.Sprintf("t%d", n), Target: a + "/" + rg, Status: t.Status, Error: t.Error, Findings: t.Findings})
		}
		g, ok := group[a]
		if !ok {
			g = "not listed"
		}
		rows[g] = append(rows[g], row)
	}
	for g, rs := range rows {
		page.Groups = append(page.Groups, htmlGroup{Name: g, Rows: rs})
	}
	sort.Slice(page.Groups, func(i, j int) bool { return page.Groups[i].Name < page.Groups[j].Name })
	if err := htmlReport.Execute(w, page); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}
