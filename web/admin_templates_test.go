package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

func TestTemplatesPageShowsRejectionAndFollowsStatusChanges(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(admin.Email)

	ts.zavu.SetTemplates([]zavu.Template{
		{ID: "tmpl_ship", Name: "order_shipped", Language: "en", Status: "approved", Category: "UTILITY",
			Body: "Hi {{1}}, your order has shipped."},
		{ID: "tmpl_promo", Name: "spring_promo", Language: "es", Status: "rejected", Category: "MARKETING",
			Body: "20% de descuento", RejectionReason: "The template contains promotional content in a utility category."},
	})
	if p := a.post("/admin/templates/sync", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("sync: %d %s", p.status, p.body)
	}
	p := a.get("/admin/templates")
	if got := p.find("templates-sync-status").Text(); !strings.Contains(got, "2 templates") {
		t.Errorf("sync status %q", got)
	}
	list := p.find("template-list")
	if trig, _ := list.Attr("hx-trigger"); trig != "every 10s" {
		t.Errorf("the list refreshes on %q, want every 10s", trig)
	}
	row := list.Find(`[data-template-id="tmpl_promo"]`)
	if got := row.Find(`[data-testid="template-status"]`).Text(); got != "Rejected" {
		t.Errorf("status of the rejected template %q", got)
	}
	if got := row.Find(`[data-testid="template-rejection"]`).Text(); !strings.Contains(got, "promotional content") {
		t.Errorf("rejection reason %q", got)
	}
	if got := row.Find(`[data-testid="template-language"]`).Text(); got != "es" {
		t.Errorf("language %q", got)
	}
	if got := row.Find(`[data-testid="template-category"]`).Text(); got != "marketing" {
		t.Errorf("category %q", got)
	}

	// Meta approves it after an appeal; Zavu says so by webhook.
	body := []byte(fmt.Sprintf(`{"id":"evt_tmpl_1","type":"template.status_changed","timestamp":%d,"senderId":"snd_sandbox","projectId":"prj_1",
		"data":{"templateId":"tmpl_promo","templateName":"spring_promo","language":"es","previousStatus":"rejected","currentStatus":"approved","rejectionReason":null}}`,
		time.Now().Add(time.Second).UnixMilli()))
	ts.mustPost(body)

	frag := a.htmx("/admin/templates/list")
	if frag.status != http.StatusOK || frag.find("template-list").Length() != 1 {
		t.Fatalf("fragment: %d %s", frag.status, frag.body)
	}
	row = frag.find("template-list").Find(`[data-template-id="tmpl_promo"]`)
	if got := row.Find(`[data-testid="template-status"]`).Text(); got != "Approved" {
		t.Errorf("status after the webhook %q, want Approved", got)
	}
	if row.Find(`[data-testid="template-rejection"]`).Length() != 0 {
		t.Errorf("an approved template still shows a rejection reason")
	}
	if strings.Contains(frag.body, "<html") {
		t.Errorf("the fragment is a whole page")
	}
	if audit := a.get("/admin/audit").find("audit-entry").Text(); !strings.Contains(audit, "templates.sync") {
		t.Errorf("audit log: %q", audit)
	}
}
