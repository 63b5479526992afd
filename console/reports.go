package console

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/iamd/iamd/iam"
)

// credentialReport generates (when stale) and downloads the account's
// credential report, as the IAM console's "Download credential report".
func (h *Handler) credentialReport(w http.ResponseWriter, r *http.Request, s *reqState) {
	err := h.call(r, s, "GenerateCredentialReport", map[string]any{}, func(ctx context.Context) error {
		_, err := h.svc.GenerateCredentialReport(ctx, s.p)
		return err
	})
	var rep *iam.CredentialReport
	if err == nil {
		err = h.call(r, s, "GetCredentialReport", map[string]any{}, func(ctx context.Context) (err error) {
			rep, err = h.svc.GetCredentialReport(ctx, s.p)
			return err
		})
	}
	if err != nil {
		h.redirect(w, r, s, Prefix+"/users", "Error: "+errText(err))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="credential-report-`+rep.GeneratedTime.UTC().Format("2006-01-02T15-04-05Z")+`.csv"`)
	_, _ = w.Write(rep.Content)
}

type lastAccessedData struct {
	Kind, Name string
	Back       string
	Services   []iam.ServiceLastAccessed
	Pending    bool
}

// lastAccessed runs an access advisor report for a user, group or role and
// shows which services its policies allow and when they were last used.
func (h *Handler) lastAccessed(w http.ResponseWriter, r *http.Request, s *reqState, kind, name, arn string) {
	pg := h.newPage(s, "Last accessed: "+kind+" "+name, kind+"s")
	d := &lastAccessedData{Kind: kind, Name: name, Back: Prefix + "/" + kind + "s/" + url.PathEscape(name)}
	pg.Data = d
	var job string
	err := h.call(r, s, "GenerateServiceLastAccessedDetails", map[string]any{"arn": arn}, func(ctx context.Context) (err error) {
		job, err = h.svc.GenerateServiceLastAccessedDetails(ctx, s.p, arn, "")
		return err
	})
	if err == nil {
		err = h.call(r, s, "GetServiceLastAccessedDetails", map[string]any{"jobId": job}, func(ctx context.Context) error {
			p, err := h.svc.GetServiceLastAccessedDetails(ctx, s.p, job, "", 1000)
			if err == nil {
				d.Services = p.Items
				d.Pending = p.Job == nil || p.Job.Completed.IsZero() || p.Job.Completed.After(time.Now())
			}
			return err
		})
	}
	pg.setErr(err)
	h.render(w, http.StatusOK, "lastaccessed", pg)
}
