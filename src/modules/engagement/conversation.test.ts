// Conversation mode: Pol.is's export files read and written exactly (a small real-shaped
// fixture in compdemocracy/openData's layout), an imported conversation's opinion groups
// matching the groups Pol.is recorded, and the pages people use: one statement at a time,
// adding statements (held for a moderator when flagged), the report and the CSV downloads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, formBrowser, type TestApp } from '../../../test/helpers.js';
import { parseCsv, parsePolisExport, PolisFormatError } from './polis.js';
import { cli, day, engagementFixture, staffBrowser } from './testing.js';

const dir = join(import.meta.dirname, 'fixtures', 'polis');
const fixture = {
  comments: readFileSync(join(dir, 'comments.csv'), 'utf8'),
  votes: readFileSync(join(dir, 'votes.csv'), 'utf8'),
  participantsVotes: readFileSync(join(dir, 'participants-votes.csv'), 'utf8'),
};

describe("Pol.is's export files", () => {
  it('parses CSV with quotes, doubled quotes, CRLF, a byte-order mark and no final newline', () => {
    expect(parseCsv('\ufeffa,b\r\n1,"x, ""y""\nz"\r\n2,')).toEqual([
      ['a', 'b'],
      ['1', 'x, "y"\nz'],
      ['2', ''],
    ]);
    expect(() => parseCsv('a,"b')).toThrow(PolisFormatError);
  });

  it('reads the fixture: comments with moderation, the latest of repeated votes, and the same votes from participants-votes.csv', () => {
    const a = parsePolisExport(fixture);
    expect(a.comments).toHaveLength(7);
    expect(a.comments.find((c) => c.tid === 4)).toMatchObject({ moderated: -1, authorPid: 11 });
    expect(a.comments.find((c) => c.tid === 2)!.body).toBe('Fortnightly collections would cost too much, "keep it monthly".');
    expect(a.participants).toEqual([0, 1, 2, 3, 5, 7, 8, 11, 12, 14]);
    // Participant 2 disagreed with statement 0 first, then agreed: the later vote counts.
    expect(a.votes.find((v) => v.pid === 2 && v.tid === 0)!.vote).toBe(1);
    const b = parsePolisExport({ comments: fixture.comments, participantsVotes: fixture.participantsVotes });
    const key = (x: { pid: number; tid: number; vote: number }) => `${x.pid}:${x.tid}:${x.vote}`;
    expect(b.votes.map(key)).toEqual(a.votes.map(key));
  });

  it('names the file, line and column of what is wrong', () => {
    expect(() => parsePolisExport({ comments: 'timestamp,comment-id\n1,2\n' })).toThrow(
      /comments\.csv: missing columns datetime, author-id/,
    );
    const bad = fixture.comments.replace('\n1699913600000,', '\nsoon,');
    expect(() => parsePolisExport({ comments: bad })).toThrow(/comments\.csv: line 2: timestamp must be a whole number/);
    const badVote = fixture.votes.replace(/,1\n/, ',7\n');
    expect(() => parsePolisExport({ comments: fixture.comments, votes: badVote })).toThrow(/votes\.csv: line \d+: a vote is 1, 0 or -1/);
  });
});

describe('conversations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ seed: false });
  });
  afterAll(() => t.close());

  it('imports a Pol.is conversation, finds the groups Pol.is recorded, and exports the same files', async () => {
    const f = await engagementFixture(t);
    const key = (await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: f.service.slug, platform: 'engagement', type: 'live' }))
      .secret;
    const res = await t.app.inject({
      method: 'POST',
      url: '/engagement/v1/conversations/import',
      headers: { authorization: `Bearer ${key}` },
      payload: { title: 'Glass', question: 'What should we do about glass?', comments_csv: fixture.comments, votes_csv: fixture.votes },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ statements: 7, participants: 10 });
    const id = res.json().id as string;

    const analysis = await t.modules.engagement.conversations.analyse(id);
    expect(analysis.groups.k).toBe(2);
    // Pol.is's own group-id column, against ours (labels may differ; membership must not).
    const recorded = new Map(
      parseCsv(fixture.participantsVotes)
        .slice(1)
        .map((r) => [Number(r[0]), r[1] === '' ? -1 : Number(r[1])]),
    );
    const ours = new Map(analysis.pids.map((p, i) => [p, analysis.groups.groupOf[i]]));
    const pairs = new Set([...recorded].map(([p, g]) => `${g}->${ours.get(p)}`));
    expect(pairs).toEqual(new Set(['0->0', '1->1', '-1->-1'])); // 14 voted on too few statements to be placed, in both
    // The statement everyone agreed with (6) is the consensus; the rejected one (4) is left out.
    expect(analysis.statements.map((s) => s.tid)).toEqual([0, 1, 2, 3, 6]);
    const consensusTids = analysis.groups.consensus.filter((c) => c.direction === 'agree').map((c) => analysis.statements[c.statement].tid);
    expect(consensusTids[0]).toBe(6);

    const get = (file: string) => t.app.inject({ url: `/engagement/v1/conversations/${id}/${file}` });
    const comments = await get('comments.csv');
    // Only accepted statements' text is published: the rejected (4) and the unmoderated (5) keep their row, not their words.
    expect(comments.body).not.toContain('Buy cheap watches');
    expect(comments.body).not.toContain('food waste');
    expect(comments.headers['content-type']).toContain('text/csv');
    expect(comments.body.split('\n')[0]).toBe('timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body');
    const votes = await get('votes.csv');
    expect(votes.body.split('\n')[0]).toBe('timestamp,datetime,comment-id,voter-id,vote');
    const pv = await get('participants-votes.csv');
    expect(pv.body.split('\n')[0]).toBe('participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2,3,4,5,6');
    // Round trip: the exported files read back as the same conversation.
    const again = parsePolisExport({ comments: comments.body, votes: votes.body });
    const original = parsePolisExport(fixture);
    const key2 = (x: { pid: number; tid: number; vote: number }) => `${x.pid}:${x.tid}:${x.vote}`;
    expect(again.votes.map(key2)).toEqual(original.votes.map(key2));
    expect(again.comments.map((c) => [c.tid, c.authorPid, c.moderated, c.body])).toEqual(
      original.comments.map((c) => [c.tid, c.authorPid, c.moderated, c.moderated === 1 ? c.body : '']),
    );
    const fromMatrix = parsePolisExport({ comments: comments.body, participantsVotes: pv.body });
    expect(fromMatrix.votes.map(key2)).toEqual(original.votes.map(key2));

    const report = await formBrowser(t).get(`/conversations/${id}/report`);
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain('Group A (5 people)');
    expect(report.body).toContain('Group B (4 people)');
    expect(report.body).toContain('Collection days should be printed on the bins');
    expect(report.body).toContain('keep it monthly');

    // A broken file is a 400 naming the problem, not a 500.
    const broken = await t.app.inject({
      method: 'POST',
      url: '/engagement/v1/conversations/import',
      headers: { authorization: `Bearer ${key}` },
      payload: { title: 'x', question: 'y', comments_csv: 'not,a,polis,file\n' },
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().message).toContain('comments.csv: missing columns');
  });

  it('imports through the console too, with the error summary for a bad file', async () => {
    const f = await engagementFixture(t);
    const staff = await staffBrowser(t, f.email);
    await staff.get(`/admin/engagement/import?service=${f.service.slug}`);
    let res = await staff.post('/admin/engagement/import', {
      service: f.service.slug,
      title: 'Glass',
      question: 'Q',
      comments: 'a,b\n1,2\n',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('missing columns');
    res = await staff.post('/admin/engagement/import', {
      service: f.service.slug,
      title: 'Glass',
      question: 'Q',
      comments: fixture.comments,
      participants_votes: fixture.participantsVotes,
    });
    expect(res.statusCode).toBe(303);
  });

  it('shows one statement at a time, takes agree/disagree/pass once each, and holds flagged statements for a moderator', async () => {
    const f = await engagementFixture(t);
    const c = await t.modules.engagement.service.create(cli, f.service.slug, {
      mode: 'conversation',
      subject: 'general',
      title: 'Bins',
      question: 'What should change about bin collections?',
      eligibility: 'anyone',
      allow_anonymous: true,
      opens_on: day(-1),
      closes_on: day(7),
    } as never);
    const a = formBrowser(t, { ip: '10.9.0.1' });
    let page = await a.get(`/conversations/${c.id}`);
    expect(page.statusCode).toBe(200);
    let res = await a.post(`/conversations/${c.id}/statements`, { statement: 'Collect glass every fortnight' });
    expect(res.statusCode).toBe(303);
    res = await a.post(`/conversations/${c.id}/statements`, { statement: 'collect GLASS every fortnight!' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('already made this statement');
    res = await a.post(`/conversations/${c.id}/statements`, { statement: 'x'.repeat(281) });
    expect(res.statusCode).toBe(400);
    res = await a.post(`/conversations/${c.id}/statements`, { statement: '<b>bold</b> email me at a@b.com' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('personal information');
    res = await a.post(`/conversations/${c.id}/statements`, { statement: '<b>bold</b> email me at a@b.com', confirm: 'yes' });
    expect(res.headers.location).toContain('done=held');

    // Another person sees the accepted statement, not their own, not the held one.
    const b = formBrowser(t, { ip: '10.9.0.2' });
    page = await b.get(`/conversations/${c.id}`);
    expect(page.body).toContain('Collect glass every fortnight');
    expect(page.body).not.toContain('&lt;b&gt;bold');
    const sid = /statements\/([0-9a-f-]{36})\/vote/.exec(page.body)![1];
    res = await b.post(`/conversations/${c.id}/statements/${sid}/vote`, { vote: 'agree' });
    expect(res.statusCode).toBe(303);
    res = await b.post(`/conversations/${c.id}/statements/${sid}/vote`, { vote: 'disagree' });
    page = await b.get(`/conversations/${c.id}`);
    expect(page.body).toContain('You have voted on 1 of 1 statements');
    expect(page.body).toContain('voted on every statement');
    const [st] = (await t.modules.engagement.conversations.statements(c.id)).filter((s) => s.moderated === 1);
    expect(st).toMatchObject({ agrees: 0, disagrees: 1 });
    expect((await b.post(`/conversations/${c.id}/statements/${sid}/vote`, { vote: 'maybe' })).statusCode).toBe(400);

    // Held text is not published in the Pol.is export (the row is, without its words).
    let exported = (await b.get(`/engagement/v1/conversations/${c.id}/comments.csv`)).body;
    expect(exported).toContain('Collect glass every fortnight');
    expect(exported).not.toContain('a@b.com');
    expect(exported.trim().split('\n')).toHaveLength(3);

    // The moderator accepts the held statement, with a reason; it is shown as text.
    const staff = await staffBrowser(t, f.email);
    page = await staff.get(`/admin/engagement/${c.id}`);
    expect(page.body).toContain('waiting for a moderator');
    expect(page.body).toContain('&lt;b&gt;bold&lt;/b&gt;');
    const held = (await t.modules.engagement.conversations.statements(c.id)).find((s) => s.moderated === 0)!;
    res = await staff.post(`/admin/engagement/${c.id}/statements/${held.id}`, { decision: 'accept', reason: '' });
    expect(res.statusCode).toBe(400);
    res = await staff.post(`/admin/engagement/${c.id}/statements/${held.id}`, {
      decision: 'accept',
      reason: 'Address is a made-up example',
    });
    expect(res.statusCode).toBe(303);
    exported = (await b.get(`/engagement/v1/conversations/${c.id}/comments.csv`)).body;
    expect(exported).toContain('a@b.com');
    page = await b.get(`/conversations/${c.id}`);
    expect(page.body).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(page.body).not.toContain('<b>bold</b>');
    const report = await b.get(`/conversations/${c.id}/report`);
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain('Not enough people have voted');
  });
});
