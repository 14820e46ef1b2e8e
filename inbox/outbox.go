package inbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A reply goes out through the outbox: the message (status pending) and
// its outbox entry are written in one transaction; a worker sends it to
// Zavu with the entry's idempotency key, retrying temporary failures with
// backoff and the same key, so a crash at any point neither loses the reply
// nor sends it twice.

// OutboxState is where an entry is on its way out.
type OutboxState string

const (
	OutboxQueued  OutboxState = "queued"  // waiting for its next attempt
	OutboxSending OutboxState = "sending" // an attempt is under way (or was, when the process died)
	OutboxSent    OutboxState = "sent"    // Zavu accepted it
	OutboxFailed  OutboxState = "failed"  // refused for good; an agent may retry
)

// OutgoingMessage is what the Messenger sends.
type OutgoingMessage struct {
	IdempotencyKey string
	SenderID       string
	To             string
	Channel        Channel
	Type           MessageType
	Text           string
	Content        *Content
}

// SendResult is Zavu's answer to a send. Zavu may take a message and
// answer it failed at once: it then has an id, which its later reports
// name, and ErrorCode and ErrorMessage say why, as a message.failed
// report does.
type SendResult struct {
	ZavuID       string
	Status       Status
	ErrorCode    string
	ErrorMessage string
}

// Messenger sends messages through Zavu (or the sandbox's fake).
type Messenger interface {
	Send(ctx context.Context, m OutgoingMessage) (SendResult, error)
}

// SendError is a refused or failed send, as the outbox needs to see it.
type SendError struct {
	Temporary   bool          // worth retrying: network, timeout, 408, 429, 5xx
	RateLimited bool          // a 429: the account sends too fast
	RetryAfter  time.Duration // how long Zavu asked us to wait, if it did
	Code        string        // Zavu's error code, when it gave one
	Message     string        // Zavu's message
	// Status is the HTTP status Zavu answered with; 0 when no answer came.
	Status int
	// Timeout is set when no answer came in time.
	Timeout bool
}

func (e *SendError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Code != "" {
		return fmt.Sprintf("send: %s failure %s: %s", kind, e.Code, e.Message)
	}
	return fmt.Sprintf("send: %s failure: %s", kind, e.Message)
}

// Unwrap lets errors.Is(err, ErrWindowClosed) see a closed window.
func (e *SendError) Unwrap() error {
	if e.Code == "whatsapp_window_closed" || e.Code == "131047" {
		return ErrWindowClosed
	}
	return nil
}

// Waiting says in an agent's words why a send that will be tried again
// did not go: "Zavu is unavailable (503)", "Zavu did not answer in time".
// What the failure said in full (a network error naming the request, a
// proxy's page) is for the log.
func (e *SendError) Waiting() string {
	status := e.Status
	if status == 0 {
		// Zavu answered without a code of its own: the code is the status.
		if n, err := strconv.Atoi(strings.TrimSpace(e.Code)); err == nil && n >= 400 && n < 600 {
			status = n
		}
	}
	switch {
	case e.RateLimited || status == http.StatusTooManyRequests:
		return "Zavu asked Switchboard to send more slowly (429)"
	case status == http.StatusRequestTimeout:
		return "Zavu did not answer in time (408)"
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		return fmt.Sprintf("Zavu is unavailable (%d)", status)
	case status >= 500:
		return fmt.Sprintf("Zavu had an error on its side (%d)", status)
	case status != 0:
		return fmt.Sprintf("Zavu answered with an error (%d)", status)
	case e.Timeout:
		return "Zavu did not answer in time"
	}
	return "Zavu could not be reached"
}

// SendWait is what an agent is told of a reply the outbox could not send
// yet and will try again: why the last attempt failed, and when the next
// one is due; or, for a reply a pause holds before its first attempt, why
// it waits and when it is sent.
type SendWait struct {
	Reason        string // in plain words, as SendError.Waiting says it
	NextAttemptAt time.Time
	// Attempts is how many attempts failed before the next one: 0 for a
	// reply not yet tried (a pause held it from the start).
	Attempts int
}

// OutboxEntry is one message waiting to go, or gone.
type OutboxEntry struct {
	ID             int64
	MessageID      int64
	ConversationID int64
	State          OutboxState
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	Message        OutgoingMessage
}

// OutboxStore is what the outbox worker needs from storage. Each method is
// one transaction.
type OutboxStore interface {
	// ClaimOutbox takes up to limit entries due at now (queued, or sending
	// with an expired lease: a process died mid-send), at most one per
	// conversation and only the first of its entries not yet sent or
	// failed (the others wait behind it, so replies go in the order they
	// were written), marks them sending with one more attempt and a lease
	// until now+lease, and returns them.
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxEntry, error)
	// OutboxSent records Zavu's id and status on the message. A status
	// webhook that overtook the answer left a placeholder with that id; it
	// is merged into the message.
	OutboxSent(ctx context.Context, entryID int64, res SendResult, at time.Time) (Change, error)
	// OutboxRetry puts the entry back in the queue until next, with the
	// reason its attempt failed in plain words, which its message shows
	// until the next attempt (Message.Waiting).
	OutboxRetry(ctx context.Context, entryID int64, next time.Time, reason string) (Change, error)
	// OutboxHold moves the next attempt of every queued entry due before
	// until that is the first unfinished one of its conversation (one
	// waiting for a retry, or a reply not yet tried) to until, with
	// reason in place of its own, which its message shows
	// (Message.Waiting): every send is held back until then. The Change
	// names their messages. A reply queued later, due before until and
	// the first unfinished one of its conversation, waits until then too,
	// and says why from the start (ReplyTx.InsertOutbox).
	OutboxHold(ctx context.Context, until time.Time, reason string) (Change, error)
	// OutboxFail marks the entry and its message failed, with the reason.
	OutboxFail(ctx context.Context, entryID int64, code, reason string, at time.Time) (Change, error)
	// OutboxPause is the pause the last hold kept, which holds the sends
	// of every process sending from the store (a 429 met by another, or
	// by this one before it restarted), as seen at now: until is zero
	// when none holds then. One ending more than MaxPause after now is
	// cut to end then, for every process.
	OutboxPause(ctx context.Context, now time.Time) (until time.Time, reason string, err error)
	// NextOutboxAttempt is when ClaimOutbox will next find an entry; ok is
	// false when nothing waits.
	NextOutboxAttempt(ctx context.Context) (at time.Time, ok bool, err error)
	// ReleaseOutbox makes the entries being sent by a process that is
	// gone (it stopped or died mid-send) due at now, and says how many
	// there were. The sends of a live process sharing the store are left
	// to it.
	ReleaseOutbox(ctx context.Context, now time.Time) (int, error)
}

// MaxSendAttempts is how many times a temporary failure is retried before
// the message is marked failed for the agent to retry by hand.
const MaxSendAttempts = 10

// SendParallelism is how many replies the outbox sends at once, each to
// a different conversation.
const SendParallelism = 8

// SendLease is how long an attempt may take before another may start: a
// process that dies mid-send leaves its entries to be resent (with the same
// key) once the lease ends. A send is given at most half of it.
const SendLease = 2 * time.Minute

// StopGrace is how long a send under way when the outbox is told to stop
// may still take to be answered; none starts meanwhile. With the HTTP
// server's own 15 s to finish its requests it stays inside the 30 s
// deploy/switchboard.service gives a stop.
const StopGrace = 10 * time.Second

// MaxPause is the longest a 429 pauses every send: a Retry-After longer
// than it (a broken header) is cut to it, and so is a pause the store
// keeps that ends later than MaxPause from now (written by a clock ahead
// of this one), so that nothing stalls the outbox for days.
const MaxPause = time.Hour

// Backoff is how long to wait before attempt n+1 after n failed: 2 s,
// 4 s, 8 s... at most 5 minutes. Zavu's Retry-After wins when longer,
// up to MaxPause.
func Backoff(attempts int, retryAfter time.Duration) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempts && d < 5*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 5*time.Minute)
	return max(d, min(retryAfter, MaxPause))
}

// Outbox sends what the store holds for sending. Run one per process;
// several processes may send from one store (PostgreSQL), each claiming
// its own entries.
//
// Order: a conversation has at most one reply in flight, and its replies
// go in the order they were written. A reply that failed for a while
// (a 5xx, a timeout, no network) holds the conversation's later replies
// until it is sent or fails for good; a permanent failure (or the last of
// MaxSendAttempts) lets them go, and the agent's Retry sends the failed
// reply again after them.
//
// Independence: up to Workers replies are sent at once, each as soon as
// it is due and a worker is free, with no batch to wait for: a
// conversation whose sends hang holds one worker, and only its own
// replies.
//
// Rate limits: Zavu limits requests per account, so a 429 pauses every
// send (not only the conversation's) for its Retry-After, 2 s without
// one; sends already under way finish. The refused reply goes again with
// its backoff, and the others are not charged an attempt. Zavu limits
// the account, not a process: the store keeps the pause (OutboxHold),
// and an outbox takes it in before it claims, so that another process
// sending from the database, or this one restarted, waits for its end
// too. A reply
// waiting for its retry says when it really goes, the later of its own
// next attempt and the pause's end, and why: the pause's reason when the
// pause holds it. So does a reply written before the pause and not yet
// tried, and one queued while the pause holds, from the moment it is
// queued.
type Outbox struct {
	Store     OutboxStore
	Messenger Messenger
	Publisher Publisher // may be nil
	Log       *slog.Logger
	Now       func() time.Time
	// Timeout bounds one send; default 30 s, at most SendLease/2.
	Timeout time.Duration
	// Workers is how many sends may be under way at once; default
	// SendParallelism.
	Workers int
	// RetryDelay is the wait before the next attempt after attempts
	// failed; default Backoff.
	RetryDelay func(attempts int, retryAfter time.Duration) time.Duration

	wake chan struct{}

	mu          sync.Mutex
	pausedUntil time.Time   // no new send before it: Zavu rate-limited the account
	pauseReason string      // why, in an agent's words (SendError.Waiting)
	running     atomic.Bool // Run is running, for /readyz
}

// NewOutbox returns an outbox worker; call Run to start it.
func NewOutbox(st OutboxStore, m Messenger, p Publisher, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{Store: st, Messenger: m, Publisher: p, Log: log, Now: time.Now, Timeout: 30 * time.Second,
		Workers: SendParallelism, RetryDelay: Backoff, wake: make(chan struct{}, 1)}
}

// Wake tells the worker a new entry is due now. It never blocks.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run sends due entries until ctx ends, then waits for the sends under
// way. It starts by taking back what a process that is gone was sending
// when it stopped or crashed (ReleaseOutbox): those go again at once,
// with their keys, so Zavu sends none of them twice. The sends of other
// processes still running, sending from the same store, are theirs: none
// is taken from them. What is not taken back goes again when its lease
// ends (SendLease).
func (o *Outbox) Run(ctx context.Context) {
	o.running.Store(true)
	defer o.running.Store(false)
	if n, err := o.Store.ReleaseOutbox(ctx, o.Now()); err != nil {
		o.Log.Error("outbox: cannot take back unfinished sends; they go when their lease ends", "err", err)
	} else if n > 0 {
		o.Log.Info("outbox: resending what was in flight when a process stopped", "count", n)
	}
	o.pump(ctx, false)
}

// Running reports whether Run is running.
func (o *Outbox) Running() bool { return o.running.Load() }

// Drain sends what is due now, and the replies that come due as earlier
// ones of their conversations go, until nothing is under way and nothing
// more is due (or Zavu asked to pause). It returns how many sends it
// began.
func (o *Outbox) Drain(ctx context.Context) (int, error) {
	return o.pump(ctx, true)
}

// pump keeps the workers supplied with due entries. Workers take claimed
// entries from a queue of up to Workers, so that one finishing a send
// starts the next at once while the pump claims more, in one
// transaction for several. pump returns when ctx ends, once the sends
// under way finished, or, with untilIdle, as soon as none is under way
// and none is due.
//
// A claimed entry waits in the queue at most until one send ends
// (Timeout) and is then sent within Timeout: both within its lease, so no
// entry is ever sent twice at once. Sends already claimed go even when
// Zavu asks to pause; the pause stops new claims.
func (o *Outbox) pump(ctx context.Context, untilIdle bool) (int, error) {
	workers := max(o.Workers, 1)
	queue := make(chan OutboxEntry, workers)
	// A worker reports on done once it recorded the outcome. The entry
	// may be claimed again before that (a retry due at once), so the pump
	// counts entries rather than tracking them.
	done := make(chan struct{}, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for e := range queue {
				if ctx.Err() == nil {
					o.send(ctx, e)
				} // else claimed but not sent: the next run takes it back and sends it with the same key
				done <- struct{}{}
			}
		})
	}
	defer func() {
		close(queue)
		wg.Wait()
	}()
	pending := 0 // claimed and not yet done: queued or being sent
	begun := 0
	for {
		// Read once a round: ctx may end at any moment of it (while
		// claiming, or while untilDue asks the store), and the round must
		// then still wake on ctx.Done unless it waits for sends under way.
		stopping := ctx.Err() != nil
		var err error
		more := false // the last claim filled what it asked for: more may be due
		if pending <= workers+workers/2 && !stopping && o.pause() <= 0 && o.storedPause(ctx) <= 0 {
			want := 2*workers - pending
			var es []OutboxEntry
			es, err = o.Store.ClaimOutbox(ctx, o.Now(), SendLease, want)
			more = err == nil && len(es) == want
			for _, e := range es {
				pending++
				begun++
				queue <- e // never waits long: a worker is free or about to be
			}
			if err != nil && ctx.Err() == nil && !untilIdle {
				o.Log.Error("outbox: cannot read the queue", "err", err)
			}
		}
		if pending == 0 && (stopping || ctx.Err() != nil || (untilIdle && !more)) {
			if err == nil {
				err = ctx.Err()
			}
			return begun, err
		}
		var timer *time.Timer
		var due <-chan time.Time
		if pending < workers && !stopping && !more {
			timer = time.NewTimer(o.untilDue(ctx, err))
			due = timer.C
		}
		stopped := ctx.Done()
		if stopping {
			stopped = nil // only the sends under way (pending > 0) are waited for
		}
		select {
		case <-done:
			pending--
			for finished := true; finished; {
				select { // claim once for every send that has finished
				case <-done:
					pending--
				default:
					finished = false
				}
			}
		case <-o.wake:
		case <-due:
		case <-stopped:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// untilDue is how long a free worker waits for the next entry to come
// due, when the last claim (which failed with err, or found nothing more)
// left it idle: a wake or a finished send comes first when they happen.
func (o *Outbox) untilDue(ctx context.Context, err error) time.Duration {
	if err != nil {
		return 5 * time.Second
	}
	if p := o.pause(); p > 0 {
		return p
	}
	wait := time.Minute
	if at, ok, err := o.Store.NextOutboxAttempt(ctx); err == nil && ok {
		wait = max(0, min(wait, at.Sub(o.Now())))
	}
	return wait
}

// pause is how long Zavu asked every send to wait; 0 or less when none
// does.
func (o *Outbox) pause() time.Duration {
	until, _ := o.paused()
	return until.Sub(o.Now())
}

// storedPause takes in the pause the store keeps, which a 429 another
// process met (or this one, before it restarted) put every send in, when
// it ends later than this outbox's own, and returns how long the pause
// still holds, as pause does. A pause that cannot be read holds nothing:
// the claim that follows says what is wrong.
func (o *Outbox) storedPause(ctx context.Context) time.Duration {
	until, reason, err := o.Store.OutboxPause(ctx, o.Now())
	if err != nil {
		if ctx.Err() == nil {
			o.Log.Error("outbox: cannot read whether another process paused every send", "err", err)
		}
		return o.pause()
	}
	o.mu.Lock()
	if until.After(o.pausedUntil) {
		o.pausedUntil, o.pauseReason = until, reason
	}
	o.mu.Unlock()
	return o.pause()
}

// paused is when the pause Zavu asked for ends, and why it holds; the
// time is in the past when no pause holds.
func (o *Outbox) paused() (until time.Time, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pausedUntil, o.pauseReason
}

// pauseFor holds every new send back for d from now, MaxPause at most,
// for reason.
func (o *Outbox) pauseFor(d time.Duration, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if until := o.Now().Add(min(d, MaxPause)); until.After(o.pausedUntil) {
		o.pausedUntil, o.pauseReason = until, reason
	}
}

// holdWaiting tells the replies due within the pause (waiting for a
// retry, or not yet tried) that they wait for its end, and why, and their
// pages with them. The
// store keeps it, so that a page loaded meanwhile says it too.
func (o *Outbox) holdWaiting(ctx context.Context) {
	until, reason := o.paused()
	if !until.After(o.Now()) {
		return
	}
	ch, err := o.Store.OutboxHold(ctx, until, reason)
	if err != nil {
		o.Log.Error("outbox: cannot tell the waiting replies of the pause; they show their own next attempt", "err", err)
		return
	}
	o.publish(ch)
}

// send makes one attempt at e and records its outcome.
func (o *Outbox) send(ctx context.Context, e OutboxEntry) {
	timeout := o.Timeout
	if timeout <= 0 || timeout > SendLease/2 {
		timeout = SendLease / 2
	}
	// A send under way when ctx ends (the server stops) is given
	// StopGrace to be answered: cut off, it would wait for the next start
	// with an attempt spent, while Zavu may have sent it already.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	stopped := context.AfterFunc(ctx, func() {
		select {
		case <-sctx.Done():
		case <-time.After(StopGrace):
			cancel()
		}
	})
	res, err := o.Messenger.Send(sctx, e.Message)
	stopped()
	cancel()
	log := o.Log.With("message_id", e.MessageID, "conversation_id", e.ConversationID, "attempt", e.Attempts)
	// The answer is recorded even when ctx ends now: Zavu has the message.
	wctx := context.WithoutCancel(ctx)
	if err == nil {
		ch, err := o.Store.OutboxSent(wctx, e.ID, res, o.Now())
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid) {
			// An answer that can never be recorded (no id, or the id of
			// another message): resending would get the same answer.
			reason := "Zavu's answer to this send could not be matched to the message. Check it in Zavu before sending it again."
			log.Error("outbox: Zavu's answer cannot be recorded", "zavu_id", res.ZavuID, "err", err)
			if ch, err = o.Store.OutboxFail(wctx, e.ID, "", reason, o.Now()); err == nil {
				o.publish(ch)
			}
			return
		}
		if err != nil {
			log.Error("outbox: sent, but not recorded; it will be resent with the same key", "zavu_id", res.ZavuID, "err", err)
			return
		}
		if res.Status == StatusFailed {
			log.Warn("message failed", "zavu_id", res.ZavuID, "code", res.ErrorCode, "reason", res.ErrorMessage)
		} else {
			log.Info("message sent", "zavu_id", res.ZavuID, "status", res.Status)
		}
		o.publish(ch)
		return
	}
	var se *SendError
	if !errors.As(err, &se) {
		se = &SendError{Temporary: true, Message: err.Error()}
	}
	if se.RateLimited {
		o.pauseFor(cmp.Or(se.RetryAfter, Backoff(1, 0)), se.Waiting())
	}
	if se.Temporary && e.Attempts < MaxSendAttempts {
		delay := o.RetryDelay
		if delay == nil {
			delay = Backoff
		}
		next, reason := o.Now().Add(delay(e.Attempts, se.RetryAfter)), se.Waiting()
		// A pause holds the reply until it ends: the reply says so.
		if until, why := o.paused(); until.After(next) {
			next, reason = until, why
		}
		ch, err := o.Store.OutboxRetry(wctx, e.ID, next, reason)
		if err != nil {
			log.Error("outbox: cannot schedule a retry; the lease will bring it back", "err", err)
			return
		}
		log.Warn("message not sent yet; will retry", "err", se.Error(), "next_attempt_at", next)
		o.publish(ch) // the reply says why it waits, and until when
		// A 429 holds the other replies waiting for their retries too. A
		// pause begun (or made longer) by another send since it was read
		// above holds this one: its hold may have come before this
		// retry was written, so it is held again.
		if until, _ := o.paused(); se.RateLimited || until.After(next) {
			o.holdWaiting(wctx)
		}
		return
	}
	code, reason := se.Code, ExplainFailure(se.Code, se.Message)
	if se.Temporary {
		reason = gaveUp(se, e.Attempts)
	}
	ch, err := o.Store.OutboxFail(wctx, e.ID, code, reason, o.Now())
	if err != nil {
		log.Error("outbox: cannot record the failure", "err", err)
		return
	}
	log.Warn("message failed", "code", code, "reason", reason)
	o.publish(ch)
	if se.RateLimited {
		o.holdWaiting(wctx) // the pause holds every send, whichever attempt met it
	}
}

// gaveUp says in an agent's words why a reply is not sent after attempts
// temporary failures, the last of them se. What the failure said (a
// network error naming the request, a proxy's page) is in the log.
func gaveUp(se *SendError, attempts int) string {
	switch {
	case se.RateLimited:
		return fmt.Sprintf("Zavu refused it %d times because too many messages were being sent at once (its rate limit). Retry to send it again.", attempts)
	case se.Code != "": // Zavu answered: a 5xx or a 408
		return fmt.Sprintf("Zavu answered with an error on its side %d times (error %s). Retry to send it again.", attempts, se.Code)
	}
	return fmt.Sprintf("Zavu could not be reached after %d attempts: it did not answer in time, or the connection failed. Retry to send it again.", attempts)
}

func (o *Outbox) publish(ch Change) {
	if o.Publisher != nil && !ch.Empty() {
		o.Publisher.Publish(ch)
	}
}
