// The demo's longer words: how to apply for each demo service (where "Start now" leads until a
// service has a form of its own), and the Welsh that Glanfor County Council — the demo's
// bilingual council — keeps for everything it publishes. Welsh is looked up by the English it
// translates, so demo.ts stays one table of services.

/** How to apply, per service slug. Blank lines separate paragraphs; lines starting "* " are a list. */
export const HOW_TO_APPLY: Record<string, string> = {
  'apply-for-a-blue-badge': `You can apply for yourself, or for someone you look after, if you live in Riverside.

You will need:
* a recent digital photo of the person the badge is for
* their National Insurance number, if they have one
* their current badge, if they are renewing

Apply by phone on 0300 555 0101 (Monday to Friday, 9am to 5pm) or at any Riverside library, where staff can help you fill in the form. It costs £10, paid when the badge is approved.

We usually decide within 6 weeks.`,
  'pay-a-parking-fine': `You need the 10-character Penalty Charge Notice (PCN) number from the notice and your vehicle registration number.

Pay by phone on 0300 555 0102, 24 hours a day, or at the Riverside City Council customer centre. If you pay within 14 days of the notice, you pay half.

If you think the notice is wrong, write to Parking Services, Riverside City Council, before you pay.`,
  'report-a-pothole': `Tell us where the pothole is as exactly as you can: the street, the nearest house number or landmark, and which side of the road.

Report it by phone on 0300 555 0103 or by email to highways@riverside.example.org. If it is dangerous, phone us at any time.

You will get a reference number so you can follow its repair.`,
  'apply-for-a-school-place': `Applications for reception places open on 1 September and close on 15 January.

You will need:
* your child's date of birth
* your address, which must be where your child lives
* up to 6 schools, in order of preference

While the online service is being tested, apply with the paper form from any Riverside school or library, or ask the admissions team on 0300 555 0104 to post you one.`,
  'pay-council-tax': `You need your council tax account number, from the top of your bill.

You can pay:
* by Direct Debit: phone 0300 555 0201 to set one up
* by card, on 0300 555 0202, 24 hours a day
* at any Post Office or PayPoint, with the barcode on your bill

You can do all of these in English or Welsh.`,
  'check-your-bin-collection-day': `Your collection days are on the calendar that came with your council tax bill.

To find them another way, phone 0300 555 0203 with your postcode, or ask at any Glanfor library. Put your bins out by 6am on your collection day.`,
  'apply-for-a-concessionary-travel-pass': `You can apply if you live in Glanfor and you are 60 or over, or you have a disability that qualifies.

Pick up a form at any Glanfor library, fill it in and take it back with:
* a passport-style photo
* proof of your age or your disability
* proof of your address from the last 3 months

Library staff can help you fill in the form. Your pass is posted to you within 6 weeks.`,
  'tax-your-vehicle': `You need the 16-digit reference number from your vehicle tax reminder, or the 11-digit number from your vehicle log book.

Tax your vehicle by phone on 0300 555 0301, 24 hours a day, or at a Post Office that deals with vehicle tax. You can pay for 6 or 12 months at once, or monthly by Direct Debit.`,
  'claim-a-cycle-to-work-voucher': `The scheme closes to new claims at the end of the year.

To claim before then, email your name, address and employer's name to cycle.vouchers@dftm.example.org. If your employer has a cycle to work scheme of its own, use that instead.`,
  'register-a-birth': `Register a birth within 42 days of the baby being born.

Book an appointment with your local register office, in person or by video call, on 0300 555 0401. Bring:
* the baby's details, and yours
* your passports or driving licences, if you have them

Both parents can come together, or one parent can register alone in some cases: the register office will tell you when you book.`,
  'renew-a-travel-document': `You can renew an adult travel document that has expired or expires soon.

Get a renewal form from a Post Office that offers the Check and Send service, or phone 0300 555 0402 to have one posted to you. Send it with:
* 2 identical photos
* your old travel document

Most renewals are decided within 3 weeks.`,
  'apply-for-carers-support': `You can apply if you care for someone for at least 35 hours a week and they get a qualifying disability benefit.

Phone 0800 555 0501 (free, Monday to Friday, 8am to 6pm) to apply, or ask for a paper form. Citizens Help Network can help you apply by phone or in person.`,
};

/** Glanfor County Council's Welsh, keyed by the English it translates. */
export const WELSH: Record<string, string> = {
  // The organisation and its team
  'Bilingual county council in Wales.': 'Cyngor sir dwyieithog yng Nghymru.',
  'Digital Services': 'Gwasanaethau Digidol',
  // Office-holders' roles
  'Councillor, Cabinet Member for Finance': 'Cynghorydd, Aelod Cabinet dros Gyllid',
  'Councillor, Cabinet Member for Environment': 'Cynghorydd, Aelod Cabinet dros yr Amgylchedd',
  'Councillor, Leader of the Council': 'Cynghorydd, Arweinydd y Cyngor',

  // Pay your council tax
  'Pay your council tax in English or Welsh, make a one-off card payment or set up a Direct Debit. You can see your balance and instalments after signing in. Single person discount can be applied for in the same place.':
    'Talwch eich treth gyngor yn Gymraeg neu yn Saesneg, gwnewch daliad untro gyda cherdyn neu sefydlwch Ddebyd Uniongyrchol. Gallwch weld eich balans a’ch rhandaliadau ar ôl mewngofnodi. Gallwch wneud cais am ostyngiad person sengl yn yr un lle.',
  'Offer the whole service in Welsh from the first page': 'Cynnig y gwasanaeth cyfan yn Gymraeg o’r dudalen gyntaf',
  'Welsh language standards, and 22% of residents chose Welsh for paper bills.':
    'Safonau’r Gymraeg, a dewisodd 22% o drigolion filiau papur yn Gymraeg.',
  'Cabinet, Glanfor County Council': 'Cabinet, Cyngor Sir Glanfor',
  'Move the default instalment plan from 10 to 12 months': 'Newid y cynllun rhandaliadau arferol o 10 i 12 mis',
  'Smaller monthly payments reduced arrears in the pilot wards.':
    'Roedd taliadau misol llai wedi lleihau ôl-ddyledion yn y wardiau peilot.',
  'Cabinet Member for Finance': 'Aelod Cabinet dros Gyllid',
  'Send bills by email to people who ask': 'Anfon biliau drwy e-bost at bobl sy’n gofyn',
  'Printing and posting bills costs about £0.85 each.': 'Mae argraffu a phostio biliau’n costio tua £0.85 yr un.',
  'Head of Revenues': 'Pennaeth Refeniw',
  'Direct Debit sign-up online': 'Sefydlu Debyd Uniongyrchol ar-lein',
  'No more paper mandate forms.': 'Dim mwy o ffurflenni mandad papur.',
  'Welsh language service': 'Gwasanaeth Cymraeg',
  'Every page available in Welsh.': 'Pob tudalen ar gael yn Gymraeg.',
  'E-billing': 'E-filio',
  'Receive your bill by email.': 'Cael eich bil drwy e-bost.',
  'Single person discount review': 'Adolygu gostyngiad person sengl',
  'Confirm you still qualify online.': 'Cadarnhau ar-lein eich bod yn dal yn gymwys.',
  'Moving home': 'Symud tŷ',
  'Tell us you are moving in one place.': 'Dweud wrthym eich bod yn symud, mewn un lle.',

  // Check your bin collection day
  'Enter your postcode to see your next collections for recycling, food waste and general waste. Sign up for a reminder by email or text the evening before. Changes over bank holidays are shown automatically.':
    'Rhowch eich cod post i weld eich casgliadau nesaf ar gyfer ailgylchu, gwastraff bwyd a gwastraff cyffredinol. Cofrestrwch i gael nodyn atgoffa drwy e-bost neu neges destun y noson cynt. Mae newidiadau dros wyliau banc yn cael eu dangos yn awtomatig.',
  'Send reminders the evening before, not the morning of collection': 'Anfon nodiadau atgoffa y noson cynt, nid ar fore’r casgliad',
  'Crews start at 6am, before most people read a morning reminder.':
    'Mae’r criwiau’n dechrau am 6am, cyn i’r rhan fwyaf o bobl ddarllen nodyn atgoffa yn y bore.',
  'Service owner': 'Perchennog y gwasanaeth',
  'Show bank holiday changes on the results page': 'Dangos newidiadau gwyliau banc ar y dudalen canlyniadau',
  'Missed collections spiked after every bank holiday.': 'Roedd nifer y casgliadau a fethwyd yn codi’n sydyn ar ôl pob gŵyl banc.',
  'Cabinet Member for Environment': 'Aelod Cabinet dros yr Amgylchedd',
  'Text message reminders': 'Nodiadau atgoffa drwy neges destun',
  'Evening-before reminders by text.': 'Nodiadau atgoffa y noson cynt drwy neges destun.',
  'Report a missed collection': 'Rhoi gwybod am gasgliad a fethwyd',
  'Report from the same page.': 'Rhoi gwybod o’r un dudalen.',
  'Order a new bin': 'Archebu bin newydd',
  'Replace a lost or broken bin online.': 'Cael bin newydd ar-lein yn lle un sydd wedi’i golli neu ei dorri.',

  // Apply for a concessionary travel pass
  'The council is exploring how people apply for and renew concessionary travel passes today. Most applications are still made on paper in libraries. Discovery will decide whether to build an online service.':
    'Mae’r cyngor yn archwilio sut mae pobl yn gwneud cais am gardiau teithio rhatach ac yn eu hadnewyddu heddiw. Mae’r rhan fwyaf o geisiadau’n dal i gael eu gwneud ar bapur mewn llyfrgelloedd. Bydd y cam darganfod yn penderfynu a ddylid adeiladu gwasanaeth ar-lein.',
  'Start a discovery into concessionary travel applications': 'Dechrau cam darganfod ar geisiadau teithio rhatach',
  'Paper applications take 6 weeks to process and renewals are due for 9,000 residents next year.':
    'Mae ceisiadau papur yn cymryd 6 wythnos i’w prosesu ac mae 9,000 o drigolion angen adnewyddu y flwyddyn nesaf.',
  'Leader of the Council': 'Arweinydd y Cyngor',
  'Include library staff in user research': 'Cynnwys staff llyfrgelloedd yn yr ymchwil defnyddwyr',
  'Most applications are assisted by library staff today.': 'Mae staff llyfrgelloedd yn helpu gyda’r rhan fwyaf o geisiadau heddiw.',
  'User research': 'Ymchwil defnyddwyr',
  'Interviews with applicants and library staff.': 'Cyfweliadau gydag ymgeiswyr a staff llyfrgelloedd.',
  'Discovery findings': 'Canfyddiadau’r cam darganfod',
  'Publish findings and a recommendation.': 'Cyhoeddi’r canfyddiadau ac argymhelliad.',
  Alpha: 'Alffa',
  'Prototype an online application if discovery supports it.': 'Creu prototeip o gais ar-lein os yw’r cam darganfod yn ei gefnogi.',
};

/** How to apply, in Welsh, for Glanfor's services. */
export const HOW_TO_APPLY_CY: Record<string, string> = {
  'pay-council-tax': `Mae angen rhif eich cyfrif treth gyngor arnoch, o frig eich bil.

Gallwch dalu:
* drwy Ddebyd Uniongyrchol: ffoniwch 0300 555 0201 i sefydlu un
* gyda cherdyn, ar 0300 555 0202, 24 awr y dydd
* mewn unrhyw Swyddfa’r Post neu PayPoint, gyda’r cod bar ar eich bil

Gallwch wneud pob un o’r rhain yn Gymraeg neu yn Saesneg.`,
  'check-your-bin-collection-day': `Mae eich diwrnodau casglu ar y calendr a ddaeth gyda’ch bil treth gyngor.

I ddod o hyd iddynt mewn ffordd arall, ffoniwch 0300 555 0203 gyda’ch cod post, neu gofynnwch mewn unrhyw un o lyfrgelloedd Glanfor. Rhowch eich biniau allan erbyn 6am ar eich diwrnod casglu.`,
  'apply-for-a-concessionary-travel-pass': `Gallwch wneud cais os ydych yn byw yng Nglanfor a’ch bod yn 60 oed neu’n hŷn, neu fod gennych anabledd sy’n gymwys.

Codwch ffurflen mewn unrhyw un o lyfrgelloedd Glanfor, llenwch hi a’i dychwelyd gyda:
* llun maint pasbort
* prawf o’ch oedran neu’ch anabledd
* prawf o’ch cyfeiriad o’r 3 mis diwethaf

Gall staff y llyfrgell eich helpu i lenwi’r ffurflen. Caiff eich cerdyn ei bostio atoch o fewn 6 wythnos.`,
};
