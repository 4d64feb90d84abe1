// The journeys people make, in a real Chromium against `creneau demo` (see run.sh):
// residents with a phone-sized screen, with the mouse and with the keyboard alone; staff at
// the counter. axe-core audits every page on the way, error states included.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  audit,
  audited,
  enterAndWait,
  focused,
  h1,
  launch,
  shoot,
  tabTo,
} from './lib.mjs';

let browser;
let calendarServed = false;

before(async () => {
  browser = await launch();
  const spec = await (await fetch(`${BASE}/openapi.yaml`)).text();
  calendarServed = spec.includes('invite.ics');
});

after(async () => {
  await browser?.close();
  const pages = audited.length;
  const violations = audited.reduce((n, a) => n + a.violations, 0);
  console.log(`axe-core (wcag2a, wcag2aa, wcag21a, wcag21aa): ${pages} pages audited, ${violations} violations`);
  for (const a of audited) console.log(`  ${a.violations} — ${a.label} (${a.url})`);
});

/** The .ics link of a confirmation page serves an invitation (once the API offers it). */
async function checkCalendarLink(page) {
  const link = page.getByRole('link', { name: 'Ajouter à mon agenda' });
  const href = await link.getAttribute('href');
  assert.match(href, /^\/api\/v1\/(registrations|appointments)\/[A-Za-z0-9_-]{43}\/invite\.ics$/);
  if (calendarServed) {
    const resp = await page.request.get(BASE + href);
    assert.equal(resp.status(), 200, `${href}`);
    assert.match(await resp.text(), /BEGIN:VCALENDAR/);
  }
}

/** Signs the demo's coordinator in (an Admin of the organisation) on a desk-sized screen. */
async function staffPage() {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${BASE}/staff/connexion`);
  await page.getByLabel('Adresse e-mail professionnelle').fill(STAFF_EMAIL);
  await page.getByLabel('Mot de passe').fill(STAFF_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  assert.match(page.url(), /\/staff$/);
  return page;
}

/** The next French public holiday on a fixed date, at least two days ahead, as YYYY-MM-DD. */
function nextFixedHoliday() {
  const soon = new Date(Date.now() + 2 * 86400000);
  const days = ['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'];
  for (let year = soon.getFullYear(); ; year++) {
    for (const d of days) {
      const iso = `${year}-${d}`;
      if (new Date(`${iso}T12:00:00`) > soon) return iso;
    }
  }
}

test('a resident registers for a workshop, sees the confirmation and cancels it', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${BASE}/`);
  assert.equal(await page.title(), "Accueil — Créneau, Ville d'Arles");
  assert.equal(await h1(page), 'Ateliers et rendez-vous numériques');
  await audit(page, 'Accueil');
  await shoot(page, '01-accueil.png');

  await page.getByRole('link', { name: "M'inscrire à un atelier" }).click();
  assert.equal(await h1(page), 'Les ateliers');
  await audit(page, 'Liste des ateliers');
  await shoot(page, '02-ateliers.png');
  // Filter by place with the plain GET form.
  await page.getByLabel('Lieu').selectOption({ label: 'Maison de la Vie Associative' });
  await page.getByRole('button', { name: 'Afficher' }).click();
  assert.match(page.url(), /\/ateliers\?lieu=\d+(&theme=)?$/);
  assert.equal(await page.locator('.card').filter({ hasText: "Médiathèque d'Arles" }).count(), 0);
  await audit(page, 'Liste des ateliers filtrée par lieu');

  await page.getByRole('link', { name: /^M'inscrire :/ }).first().click();
  assert.match(await page.title(), /^Inscription — .+ — Créneau, Ville d'Arles$/);
  await audit(page, "Formulaire d'inscription");

  // Errors: stated next to the fields, summarised at the top, values kept.
  await page.getByLabel('Adresse e-mail').fill('pas-une-adresse');
  await page.getByRole('button', { name: /^(Confirmer mon inscription|M'inscrire sur la liste d'attente)$/ }).click();
  assert.match(await page.title(), /^Erreur : Inscription — /);
  const summary = page.locator('.error-summary');
  assert.ok(await summary.isVisible());
  for (const field of ['name', 'email']) {
    assert.equal(await summary.locator(`a[href="#${field}"]`).count(), 1, `summary links to #${field}`);
  }
  assert.equal(await page.getByLabel('Adresse e-mail').inputValue(), 'pas-une-adresse');
  assert.equal(await page.locator('#email').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#email').getAttribute('aria-describedby'), /email-erreur/);
  assert.equal((await focused(page)).id, 'erreurs', 'the summary takes the focus');
  await audit(page, "Formulaire d'inscription avec erreurs");
  await shoot(page, '03-inscription-erreurs.png');
  await summary.locator('a[href="#email"]').click();
  assert.equal((await focused(page)).id, 'email', 'a summary link leads to its field');

  await page.getByLabel('Votre prénom et votre nom').fill('Jeanne Martin');
  await page.getByLabel('Adresse e-mail').fill('jeanne.martin.navigateur@exemple.fr');
  await page.getByRole('button', { name: /^(Confirmer mon inscription|M'inscrire sur la liste d'attente)$/ }).click();
  assert.match(page.url(), /\/inscription\/[A-Za-z0-9_-]{43}$/);
  assert.equal(await h1(page), 'Votre inscription est confirmée');
  assert.ok(await page.getByText("Gardez ce lien : il permet d'annuler").isVisible());
  assert.ok((await page.locator('.manage-url').innerText()).endsWith(new URL(page.url()).pathname));
  await checkCalendarLink(page);
  await audit(page, "Confirmation d'inscription");
  await shoot(page, '04-inscription-confirmee.png');

  // Found again with the booking code and the e-mail, from the footer's link.
  const code = (await page.locator('dd.booking-code').innerText()).trim();
  assert.match(code, /^[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}$/);
  await page.getByRole('link', { name: 'Retrouver ma réservation avec son code' }).click();
  assert.equal(await h1(page), 'Retrouver ma réservation');
  await audit(page, 'Retrouver ma réservation');
  await page.getByLabel('Code de réservation').fill(code.toLowerCase());
  await page.getByLabel(/^Votre numéro de téléphone ou votre adresse e-mail/).fill('autre.personne@exemple.fr');
  await page.getByRole('button', { name: 'Voir ma réservation' }).click();
  assert.match(await page.title(), /^Erreur : Retrouver ma réservation/);
  await audit(page, 'Retrouver ma réservation avec erreur');
  await page.getByLabel(/^Votre numéro de téléphone ou votre adresse e-mail/).fill('jeanne.martin.navigateur@exemple.fr');
  await page.getByRole('button', { name: 'Voir ma réservation' }).click();
  assert.equal(await h1(page), 'Votre inscription est confirmée');
  await page.goto(`${BASE}/r/${code.replace('-', '')}`);
  assert.equal(await h1(page), 'Retrouver ma réservation');
  await audit(page, 'Lien court du SMS');
  await page.goBack();

  await page.getByRole('link', { name: 'Annuler mon inscription' }).click();
  assert.equal(await h1(page), 'Annuler votre inscription ?');
  await audit(page, "Confirmation de l'annulation");
  await shoot(page, '05-annuler-inscription.png');
  await page.getByRole('button', { name: 'Oui, annuler mon inscription' }).click();
  assert.equal(await h1(page), 'Votre inscription est annulée');
  await audit(page, 'Inscription annulée');
  await page.close();
});

test('a resident books an appointment, moves it and cancels it', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${BASE}/`);
  await page.getByRole('link', { name: 'Prendre rendez-vous avec un médiateur' }).click();
  assert.equal(await h1(page), 'Prendre rendez-vous avec un médiateur');
  assert.match(await page.locator('ul.hours li').first().innerText(), /^(lun|mar|mer|jeu|ven)\.[^:]*\s:\s\d{1,2}\sh/, 'opening hours');
  await audit(page, 'Rendez-vous : lieux');
  await shoot(page, '06-rdv-lieu.png');

  await page.getByRole('link', { name: /^Choisir ce lieu/ }).first().click();
  assert.equal(await h1(page), "Pour quoi avez-vous besoin d'aide ?");
  await audit(page, 'Rendez-vous : motifs');
  await shoot(page, '07-rdv-motif.png');

  await page.getByRole('link', { name: /^Choisir ce motif/ }).first().click();
  assert.equal(await h1(page), "Choisissez le jour et l'heure");
  assert.ok((await page.locator('.slot-day h2').count()) > 0, 'free slots grouped by day');
  await audit(page, 'Rendez-vous : créneaux');
  await shoot(page, '08-rdv-creneau.png');

  await page.locator('.slots a').first().click();
  assert.equal(await h1(page), 'Vos coordonnées');
  await audit(page, 'Rendez-vous : coordonnées');
  // No way to reach the resident: refused, with the name kept.
  await page.getByLabel('Votre prénom et votre nom').fill('Ahmed Haddad');
  await page.getByRole('button', { name: 'Confirmer le rendez-vous' }).click();
  assert.match(await page.title(), /^Erreur : /);
  assert.equal(await page.getByLabel('Votre prénom et votre nom').inputValue(), 'Ahmed Haddad');
  await audit(page, 'Rendez-vous : coordonnées avec erreurs');
  await shoot(page, '09-rdv-coordonnees-erreur.png');
  await page.getByLabel('Numéro de téléphone').fill('06 12 34 56 78');
  await page.getByLabel('Votre démarche en quelques mots').fill('Renouveler ma carte Vitale');
  await page.getByLabel('Besoins particuliers').fill('Malentendant : parler face à moi');
  await page.getByRole('button', { name: 'Confirmer le rendez-vous' }).click();
  assert.match(page.url(), /\/rendez-vous\/[A-Za-z0-9_-]{43}$/);
  assert.equal(await h1(page), 'Votre rendez-vous est confirmé');
  const manage = page.url();
  const before = await page.locator('.facts div', { hasText: 'Date' }).locator('dd').innerText();
  await checkCalendarLink(page);
  await audit(page, 'Rendez-vous confirmé');
  await shoot(page, '10-rdv-confirme.png');

  await page.getByRole('link', { name: "Changer d'horaire" }).click();
  assert.equal(await h1(page), 'Choisissez un nouvel horaire');
  await audit(page, 'Rendez-vous : nouvel horaire');
  await page.locator('.slots a').first().click();
  assert.equal(await h1(page), 'Confirmer le nouvel horaire ?');
  await audit(page, 'Rendez-vous : confirmer le nouvel horaire');
  await page.getByRole('button', { name: 'Confirmer le nouvel horaire' }).click();
  assert.equal(page.url(), manage);
  assert.equal(await h1(page), 'Votre rendez-vous a été déplacé');
  const after = await page.locator('.facts div', { hasText: 'Nouvel horaire' }).locator('dd').innerText();
  assert.notEqual(after, before, 'the appointment moved');
  assert.equal(await page.locator('.facts div', { hasText: 'Ancien horaire' }).locator('dd').innerText(), before.replace(/ \(jusqu'à .*\)$/, ''), 'the old time is shown struck out');

  await page.getByRole('link', { name: 'Annuler le rendez-vous' }).click();
  assert.equal(await h1(page), 'Annuler votre rendez-vous ?');
  await audit(page, "Rendez-vous : confirmation de l'annulation");
  await page.getByRole('button', { name: 'Oui, annuler mon rendez-vous' }).click();
  assert.equal(await h1(page), 'Votre rendez-vous est annulé');
  await audit(page, 'Rendez-vous annulé');
  await page.close();
});

test('a staff member signs in, registers a resident by phone, takes attendance and prints the sheet', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${BASE}/staff`);
  assert.match(page.url(), /\/staff\/connexion$/);
  await audit(page, 'Agents : connexion');
  await page.getByLabel('Adresse e-mail professionnelle').fill(STAFF_EMAIL);
  await page.getByLabel('Mot de passe').fill('pas le bon mot de passe');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  assert.ok(await page.getByText('Adresse e-mail ou mot de passe incorrect.').first().isVisible());
  await audit(page, 'Agents : connexion refusée');
  await page.getByLabel('Mot de passe').fill(STAFF_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  assert.match(page.url(), /\/staff$/);
  assert.match(await h1(page), /^Aujourd'hui, /);
  await audit(page, 'Agents : agenda du jour');

  await page.getByRole('link', { name: 'Séances', exact: true }).click();
  assert.equal(await h1(page), "Séances d'ateliers");
  await audit(page, 'Agents : séances');
  await page.locator('tr', { hasText: 'sur 8' }).first().getByRole('link').click();
  await audit(page, 'Agents : une séance');

  await page.getByLabel('Prénom et nom').fill('Marcel Navigateur');
  await page.getByLabel('Téléphone').fill('06 11 22 33 44');
  await page.getByRole('button', { name: 'Inscrire', exact: true }).click();
  assert.ok(await page.getByText('La personne est inscrite').isVisible());
  await audit(page, 'Agents : personne inscrite');

  const box = page.getByLabel('Marcel Navigateur');
  await box.check();
  await page.getByRole('button', { name: 'Enregistrer les présences' }).click();
  assert.ok(await page.getByText('Présences enregistrées.').isVisible());
  assert.ok(await page.getByLabel('Marcel Navigateur').isChecked(), 'attendance saved');

  await page.getByRole('link', { name: "Feuille d'émargement à imprimer" }).click();
  assert.equal(await h1(page), "Feuille d'émargement");
  await audit(page, "Agents : feuille d'émargement");
  assert.ok(await page.locator('.site-nav').isVisible(), 'the menu shows on screen');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.site-nav').isVisible(), false, 'no navigation on paper');
  assert.equal(await page.locator('.site-footer').isVisible(), false);
  assert.ok(await page.locator('table.sheet').getByText('Marcel Navigateur').isVisible());
  await page.emulateMedia({ media: 'screen' });

  // A mediation point's day, and an appointment booked on a resident's behalf.
  await page.getByRole('link', { name: 'Rendez-vous', exact: true }).click();
  await audit(page, 'Agents : lieux des rendez-vous');
  await page.getByRole('link', { name: /^Prendre un rendez-vous/ }).first().click();
  await audit(page, 'Agents : rendez-vous, motif');
  await page.getByRole('link', { name: /^Choisir ce motif/ }).first().click();
  await audit(page, 'Agents : rendez-vous, horaire');
  await page.locator('.slots a').first().click();
  await page.getByLabel('Prénom et nom').fill('Robert Guichet');
  await page.getByLabel('Téléphone').fill('06 98 76 54 32');
  await page.getByRole('button', { name: 'Enregistrer le rendez-vous' }).click();
  assert.ok(await page.getByText('Rendez-vous enregistré.').isVisible());
  assert.ok(await page.getByText('Robert Guichet').first().isVisible());
  await audit(page, "Agents : journée d'un point de médiation");

  await page.getByRole('button', { name: /Se déconnecter/ }).click();
  assert.match(page.url(), /\/staff\/connexion\?fait=deconnexion$/);
  await page.goto(`${BASE}/staff`);
  assert.match(page.url(), /\/staff\/connexion$/, 'signed out for good');
  await page.close();
});

test('a resident registers for a workshop and cancels with the keyboard alone', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${BASE}/`);
  const first = await tabTo(page, () => true, 'the first element');
  assert.equal(first.text, 'Aller au contenu', 'the skip link comes first');
  await page.keyboard.press('Enter');
  assert.equal((await focused(page)).id, 'contenu', 'the skip link moves to the content');

  await tabTo(page, (f) => f.tag === 'a' && f.text.startsWith("M'inscrire à un atelier"), 'the workshops door');
  await enterAndWait(page);
  assert.equal(await h1(page), 'Les ateliers');
  await tabTo(page, (f) => f.tag === 'a' && f.text.startsWith("M'inscrire :"), 'a session');
  await enterAndWait(page);
  assert.match(await page.title(), /^Inscription — /);

  // Submit empty: the summary takes the focus; its first link leads to the name field.
  await tabTo(page, (f) => f.tag === 'button', 'the submit button');
  await enterAndWait(page);
  assert.equal((await focused(page)).id, 'erreurs');
  await tabTo(page, (f) => f.tag === 'a' && f.text.startsWith('Indiquez votre nom'), 'the first error');
  await page.keyboard.press('Enter');
  assert.equal((await focused(page)).id, 'name');
  await page.keyboard.type('Clavier Seul');
  await tabTo(page, (f) => f.id === 'phone', 'the phone field');
  await page.keyboard.type('07 81 22 33 40');
  await tabTo(page, (f) => f.tag === 'button', 'the submit button');
  await enterAndWait(page);
  assert.equal(await h1(page), 'Votre inscription est confirmée');

  await tabTo(page, (f) => f.text === 'Annuler mon inscription', 'the cancel link');
  await enterAndWait(page);
  await tabTo(page, (f) => f.text === 'Oui, annuler mon inscription', 'the confirm button');
  await enterAndWait(page);
  assert.equal(await h1(page), 'Votre inscription est annulée');
  await page.close();
});

test('a resident books, moves and cancels an appointment with the keyboard alone', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${BASE}/`);
  await tabTo(page, (f) => f.tag === 'a' && f.text.startsWith('Prendre rendez-vous avec un médiateur'), 'the door');
  await enterAndWait(page);
  await tabTo(page, (f) => f.text.startsWith('Choisir ce lieu'), 'a place');
  await enterAndWait(page);
  await tabTo(page, (f) => f.text.startsWith('Choisir ce motif'), 'a reason');
  await enterAndWait(page);
  await tabTo(page, (f) => f.tag === 'a' && /^\d{1,2}\sh/.test(f.text), 'a slot');
  await enterAndWait(page);
  assert.equal(await h1(page), 'Vos coordonnées');
  await tabTo(page, (f) => f.id === 'name', 'the name field');
  await page.keyboard.type('Yvette Clavier');
  await tabTo(page, (f) => f.id === 'phone', 'the phone field');
  await page.keyboard.type('07 81 22 33 41');
  await tabTo(page, (f) => f.tag === 'button' && f.text === 'Confirmer le rendez-vous', 'the submit button');
  await enterAndWait(page);
  assert.equal(await h1(page), 'Votre rendez-vous est confirmé');

  await tabTo(page, (f) => f.text === "Changer d'horaire", 'the move link');
  await enterAndWait(page);
  await tabTo(page, (f) => f.tag === 'a' && /^\d{1,2}\sh/.test(f.text), 'another slot');
  await enterAndWait(page);
  await tabTo(page, (f) => f.text === 'Confirmer le nouvel horaire', 'the confirm button');
  await enterAndWait(page);
  assert.equal(await h1(page), 'Votre rendez-vous a été déplacé');

  await tabTo(page, (f) => f.text === 'Annuler le rendez-vous', 'the cancel link');
  await enterAndWait(page);
  await tabTo(page, (f) => f.text === 'Oui, annuler mon rendez-vous', 'the confirm button');
  await enterAndWait(page);
  assert.equal(await h1(page), 'Votre rendez-vous est annulé');
  await page.close();
});

test('the API documentation renders under its Content-Security-Policy', async () => {
  const page = await browser.context.newPage();
  const refused = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  await page.goto(`${BASE}/docs`);
  await page.locator('.swagger-ui .info .title').waitFor({ timeout: 15000 });
  assert.ok(await page.locator('.opblock').first().isVisible(), 'the operations are listed');
  assert.deepEqual(refused, [], 'nothing refused by the policy');
  await page.close();
});

test('a coordinator moves and cancels an appointment and books a walk-in from the console', async () => {
  const page = await staffPage();

  // An appointment to work on, booked for someone on the phone.
  await page.getByRole('link', { name: 'Rendez-vous', exact: true }).click();
  await page.getByRole('link', { name: /^Prendre un rendez-vous/ }).first().click();
  await page.getByRole('link', { name: /^Choisir ce motif/ }).first().click();
  await page.locator('.slots a').first().click();
  await page.getByLabel('Prénom et nom').fill('Lucie Console');
  await page.getByLabel('Téléphone').fill('06 55 44 33 22');
  await page.getByRole('button', { name: 'Enregistrer le rendez-vous' }).click();
  const card = () => page.locator('li.card', { hasText: 'Lucie Console' });
  assert.ok(await card().getByText(/^Poste \d/).isVisible(), 'the desk is shown');

  await card().getByRole('link', { name: /^Déplacer/ }).click();
  assert.match(await h1(page), /^Déplacer le rendez-vous de Lucie Console/);
  await audit(page, 'Agents : déplacer un rendez-vous, créneaux');
  // Earlier journeys may have filled the first days shown: the next days, until a free slot.
  for (let i = 0; i < 8 && (await page.locator('.slots a').count()) === 0; i++) {
    await page.getByRole('link', { name: 'Jours suivants' }).click();
  }
  await page.locator('.slots a').first().click();
  assert.match(await h1(page), /^Déplacer le rendez-vous de Lucie Console \?/);
  await audit(page, 'Agents : déplacer un rendez-vous, confirmation');
  await page.getByRole('button', { name: 'Déplacer le rendez-vous et prévenir la personne' }).click();
  assert.ok(await page.getByText('Rendez-vous déplacé.').isVisible());

  await card().getByRole('link', { name: /^Annuler/ }).click();
  await audit(page, 'Agents : annuler un rendez-vous');
  await page.getByRole('button', { name: 'Annuler le rendez-vous et prévenir la personne' }).click();
  assert.ok(await page.getByText("Indiquez le motif de l'annulation").first().isVisible());
  await audit(page, 'Agents : annuler un rendez-vous, motif manquant');
  await page.getByLabel(/^Motif de l'annulation/).fill('Le médiateur est absent ce jour-là.');
  await page.getByRole('button', { name: 'Annuler le rendez-vous et prévenir la personne' }).click();
  assert.ok(await page.getByText('Rendez-vous annulé.').isVisible());

  // A walk-in, today, at the same place: a name alone.
  await page.goto(page.url().replace(/\?.*$/, ''));
  await page.getByRole('button', { name: 'Enregistrer le rendez-vous sur place' }).click();
  assert.ok(await page.getByText('Indiquez le nom de la personne').first().isVisible());
  await audit(page, 'Agents : rendez-vous sur place, nom manquant');
  await page.getByLabel('Nom de la personne').fill('Marcel Sur-Place');
  const motif = page.getByLabel('Motif', { exact: true });
  if (await motif.count()) await motif.selectOption({ index: 1 });
  await page.getByLabel('Au prochain créneau libre de la journée').check();
  await page.getByRole('button', { name: 'Enregistrer le rendez-vous sur place' }).click();
  // Late in the day there may be no free slot left: the page says so, next to the choice.
  const booked = await page.getByText('Personne accueillie').count();
  if (!booked) assert.ok(await page.getByText('Plus aucun créneau').first().isVisible());
  await audit(page, "Agents : journée d'un point de médiation, après un rendez-vous sur place");
  await page.close();
});

test('a coordinator goes through the settings: places, hours, reasons, catalogue and a new account', async () => {
  const page = await staffPage();
  await page.getByRole('link', { name: 'Réglages', exact: true }).click();
  assert.equal(await h1(page), 'Réglages');
  await audit(page, 'Agents : réglages');

  await page.getByRole('link', { name: 'Lieux', exact: true }).click();
  assert.equal(await h1(page), 'Lieux');
  await audit(page, 'Agents : réglages, lieux');
  await page.locator('table tbody tr').first().getByRole('link').first().click();
  assert.match(await h1(page), /^Modifier le lieu « .+ »$/);
  await audit(page, 'Agents : réglages, modifier un lieu');
  await page.getByRole('link', { name: "Horaires d'ouverture et fermetures de ce lieu" }).click();
  assert.match(page.url(), /\/staff\/reglages\/lieux\/\d+\/horaires$/);
  assert.match(await h1(page), /^Horaires et fermetures : /);
  await audit(page, 'Agents : réglages, horaires et fermetures');

  await page.goto(`${BASE}/staff/reglages`);
  await page.getByRole('link', { name: 'Motifs de rendez-vous' }).click();
  assert.equal(await h1(page), 'Motifs de rendez-vous');
  await audit(page, 'Agents : réglages, motifs');
  await page.locator('table tbody tr').first().getByRole('link').first().click();
  assert.match(await h1(page), /^Modifier le motif « .+ »$/);
  await audit(page, 'Agents : réglages, modifier un motif');

  await page.goto(`${BASE}/staff/reglages`);
  await page.getByRole('link', { name: 'Catalogue des ateliers' }).click();
  assert.equal(await h1(page), 'Catalogue des ateliers');
  await audit(page, 'Agents : réglages, catalogue des ateliers');
  await page.locator('table tbody tr').first().getByRole('link').first().click();
  assert.match(await h1(page), /^Modifier l'atelier « .+ »$/);
  await audit(page, 'Agents : réglages, modifier un atelier');

  // The demo's coordinator is an Admin: the staff accounts are theirs to manage.
  await page.goto(`${BASE}/staff/reglages`);
  await page.getByRole('link', { name: 'Comptes des agents' }).click();
  assert.equal(await h1(page), 'Comptes des agents');
  assert.ok(await page.getByText('Administration').first().isVisible(), 'an Admin account is listed');
  await audit(page, 'Agents : comptes des agents');
  await page.getByRole('link', { name: 'Créer un compte' }).click();
  assert.equal(await h1(page), 'Créer un compte');
  await audit(page, 'Agents : créer un compte');
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  assert.match(await page.title(), /^Erreur : /);
  await audit(page, 'Agents : créer un compte, erreurs');
  await page.getByLabel('Nom de la personne').fill('Nadia Navigateur');
  await page.getByLabel('Adresse e-mail professionnelle').fill(`nadia.navigateur.${Date.now()}@arles.example`);
  await page.getByLabel(/^Animation/).check();
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  assert.equal(await h1(page), 'Compte créé pour Nadia Navigateur');
  const link = await page.locator('.manage-url a').innerText();
  assert.match(link, /^http.+\/staff\/invitation\/.+/);
  await audit(page, "Agents : lien d'invitation");
  await page.close();
});

test("an admin changes the organisation's settings with the keyboard alone", async () => {
  const page = await staffPage();
  await page.goto(`${BASE}/staff/reglages`);
  await tabTo(page, (f) => f.tag === 'a' && f.text === 'Organisation', 'the Organisation link');
  await enterAndWait(page);
  assert.equal(await h1(page), 'Organisation');
  await audit(page, 'Agents : réglages, organisation');
  // Every field has its label; the SMS ones are one group.
  for (const label of [
    "Nom de l'organisation",
    'Adresse e-mail de contact',
    'Téléphone de contact',
    "Nom d'expéditeur des SMS",
    'Budget mensuel de SMS, en segments',
  ]) {
    assert.equal(await page.getByLabel(label).count(), 1, label);
  }
  assert.equal(await page.getByRole('group', { name: 'SMS' }).count(), 1);
  assert.ok(await page.getByText(/segments? ce mois-ci/).first().isVisible());

  await tabTo(page, (f) => f.name === 'sms_sender', 'the sender name');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Ville Arlés');
  await enterAndWait(page);
  assert.match(await page.title(), /^Erreur : /);
  assert.ok(await page.locator('#sms_sender-erreur').isVisible(), 'the error is beside the field');
  assert.equal(await page.getByLabel("Nom d'expéditeur des SMS").inputValue(), 'Ville Arlés');
  await audit(page, 'Agents : réglages, organisation, erreurs');

  await tabTo(page, (f) => f.name === 'sms_sender', 'the sender name again');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('VilleArles');
  await enterAndWait(page);
  assert.match(page.url(), /\/staff\/reglages\/organisation\?fait=modifie$/);
  assert.ok(await page.getByText("Les réglages de l'organisation sont enregistrés.").isVisible());
  await audit(page, 'Agents : réglages, organisation enregistrée');
  await page.close();
});

test('a coordinator edits a session, opens a registrant, a cancelled session and a series, and plans on a holiday', async () => {
  const page = await staffPage();
  await page.getByRole('link', { name: 'Séances', exact: true }).click();

  // The cancelled session of the demo says so.
  await page.locator('tr', { hasText: 'Annulée' }).first().getByRole('link').click();
  assert.ok(await page.getByText('Séance annulée').isVisible());
  await audit(page, 'Agents : séance annulée');

  // A session with people registered: its registrant's page, then its edit page.
  await page.goto(`${BASE}/staff/seances`);
  await page.locator('tr', { hasText: /[1-9]\d* inscrits? sur/ }).last().getByRole('link').click();
  const sessionUrl = page.url();
  await page.getByRole('link', { name: /^Déplacer, retirer/ }).first().click();
  assert.match(page.url(), /\/staff\/seances\/\d+\/inscrits\/\d+$/);
  await audit(page, "Agents : une personne inscrite à une séance");
  await page.getByRole('link', { name: 'Retour à la séance' }).click();
  assert.equal(page.url(), sessionUrl);

  await page.getByRole('link', { name: 'Modifier la séance' }).click();
  assert.match(page.url(), /\/staff\/seances\/\d+\/modifier$/);
  assert.equal(await h1(page), 'Modifier la séance');
  await audit(page, 'Agents : modifier une séance');
  // By keyboard: the capacity raised by one, then Enter saves the form.
  const capacity = Number(await page.getByLabel('Nombre de places').inputValue());
  await page.getByLabel('Nombre de places').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(String(capacity + 1));
  await enterAndWait(page);
  assert.equal(page.url().replace(/\?.*$/, ''), sessionUrl);
  assert.ok(page.url().endsWith('?fait=modifiee'), 'the change is announced');
  const places = await page.locator('.facts div', { hasText: 'Places' }).locator('dd').innerText();
  assert.match(places, new RegExp(`^${capacity + 1} au total`));
  await audit(page, 'Agents : séance modifiée');

  // A weekly series (the demo's sessions are single ones), then its cancel page: opened only.
  await page.goto(`${BASE}/staff/seances`);
  await page.getByRole('link', { name: 'Créer une série hebdomadaire' }).click();
  assert.equal(await h1(page), 'Créer une série hebdomadaire');
  await audit(page, 'Agents : créer une série');
  const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
  await page.getByLabel('Atelier', { exact: true }).selectOption({ index: 1 });
  await page.getByLabel('Lieu', { exact: true }).selectOption({ index: 1 });
  await page.getByLabel('Jour de la semaine').selectOption({ index: 1 });
  await page.getByLabel('Heure de début').fill('18:00');
  await page.getByLabel('Heure de fin').fill('19:30');
  await page.getByLabel('Première date').fill(day(50));
  await page.getByLabel('Dernière date').fill(day(70));
  await page.getByRole('button', { name: 'Créer la série' }).click();
  // Evening hours may be outside the place's opening hours: the planning asks, we confirm.
  const anyway = page.getByRole('button', { name: 'Créer quand même' });
  if (await anyway.count()) {
    await audit(page, 'Agents : créer une série, avertissements');
    await anyway.click();
  }
  assert.match(page.url(), /\/staff\/seances(\?.*)?$/);
  await audit(page, 'Agents : série créée');
  await page.goto(`${BASE}/staff/seances`);
  await page.locator('tr', { hasText: /18\sh\s–\s19\sh\s30/ }).first().getByRole('link').click();
  await page.getByRole('link', { name: "Annuler la série à partir d'une date" }).click();
  assert.match(page.url(), /\/staff\/seances\/\d+\/serie\/annuler$/);
  assert.equal(await h1(page), "Annuler la série à partir d'une date");
  await audit(page, "Agents : annuler une série à partir d'une date");

  // A new session on a public holiday: the warning, then « Créer quand même ».
  await page.goto(`${BASE}/staff/seances`);
  await page.getByRole('link', { name: 'Créer une séance' }).click();
  assert.equal(await h1(page), 'Créer une séance');
  await audit(page, 'Agents : créer une séance');
  await page.getByLabel('Atelier', { exact: true }).selectOption({ index: 1 });
  await page.getByLabel('Lieu', { exact: true }).selectOption({ index: 1 });
  await page.getByLabel('Date', { exact: true }).fill(nextFixedHoliday());
  await page.getByLabel('Heure de début').fill('10:00');
  await page.getByLabel('Heure de fin').fill('12:00');
  await page.getByRole('button', { name: 'Créer la séance' }).click();
  assert.ok(await page.getByText(/est un jour férié/).isVisible(), 'the holiday is pointed out');
  assert.equal((await focused(page)).id, 'avertissements', 'the warnings take the focus');
  await audit(page, 'Agents : créer une séance, avertissement jour férié');
  await page.getByRole('button', { name: 'Créer quand même' }).click();
  assert.match(page.url(), /\/staff\/seances\/\d+(\?.*)?$/);
  await audit(page, 'Agents : séance créée un jour férié');
  await page.close();
});

test('a coordinator reads the activity records, statistics, calls, texts, reviews, people and exports', async () => {
  const page = await staffPage();
  const nav = page.getByRole('navigation', { name: 'Menu des agents' });
  for (const [link, title] of [
    ['Comptes rendus', "Comptes rendus d'activité"],
    ['Statistiques', 'Statistiques'],
    ['À appeler', 'À appeler'],
    ['SMS reçus', 'SMS reçus'],
    ['Avis', 'Avis des habitants'],
    ['Exports', 'Exports'],
    ['Personnes', 'Retrouver une personne'],
  ]) {
    await nav.getByRole('link', { name: new RegExp(`^${link}`) }).click();
    assert.equal(await h1(page), title);
    await audit(page, `Agents : ${title.toLowerCase()}`);
  }
  const record = page.locator('.card-title a[href^="/staff/comptes-rendus/"]');
  await page.getByLabel('Nom, téléphone, e-mail ou code de réservation').fill('Jeanne Martin');
  await page.getByRole('button', { name: 'Chercher' }).click();
  assert.match(page.url(), /\/staff\/personnes\?q=Jeanne(\+|%20)Martin/);
  assert.ok(await page.getByText('Jeanne Martin').first().isVisible());
  await audit(page, 'Agents : personne trouvée');

  await page.goto(`${BASE}/staff/comptes-rendus`);
  assert.ok((await record.count()) > 0, 'the demo has activity records');
  await record.first().click();
  assert.match(await h1(page), /^Compte rendu : /);
  await audit(page, "Agents : un compte rendu d'activité");
  await page.goto(`${BASE}/staff/statistiques`);
  await page.getByRole('button', { name: 'Afficher les chiffres' }).click();
  assert.equal(await h1(page), 'Statistiques');
  await audit(page, 'Agents : statistiques affichées');
  await page.close();
});

test('a resident filters the workshops by place and theme, and is asked about a mistyped e-mail', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${BASE}/ateliers`);
  const theme = page.getByLabel('Thème');
  await theme.selectOption({ index: 1 });
  const chosen = (await theme.locator('option:checked').innerText()).trim();
  await page.getByRole('button', { name: 'Afficher' }).click();
  assert.match(page.url(), /\/ateliers\?lieu=&theme=.+$/);
  assert.equal(await page.getByLabel('Thème').locator('option:checked').innerText(), chosen, 'the choice is kept');
  await audit(page, 'Liste des ateliers filtrée par thème');
  await page.getByLabel('Lieu').selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Afficher' }).click();
  assert.match(page.url(), /\/ateliers\?lieu=\d+&theme=.+$/);
  await audit(page, 'Liste des ateliers filtrée par lieu et thème');

  await page.goto(`${BASE}/ateliers`);
  await page.getByRole('link', { name: /^M'inscrire :/ }).first().click();
  await page.getByLabel('Votre prénom et votre nom').fill('Odile Faute');
  await page.getByLabel('Adresse e-mail').fill('odile.faute@gmial.com');
  await page.getByRole('button', { name: /^(Confirmer mon inscription|M'inscrire sur la liste d'attente)$/ }).click();
  assert.match(await page.locator('.email-check legend').innerText(), /^Vouliez-vous dire odile\.faute@gmail\.com \?$/);
  await audit(page, "Formulaire d'inscription, e-mail à vérifier");
  await page.getByLabel('Oui, corriger en odile.faute@gmail.com').check();
  await page.getByRole('button', { name: /^(Confirmer mon inscription|M'inscrire sur la liste d'attente)$/ }).click();
  assert.match(await h1(page), /^Votre inscription est confirmée|liste d'attente/);
  assert.ok(await page.getByText('odile.faute@gmail.com').first().isVisible(), 'the address was corrected');
  await page.close();
});
