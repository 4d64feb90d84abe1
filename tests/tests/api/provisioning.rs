//! `creneau staff add`: the organisation a new account joins.
use creneau::auth::provisioning::organisation_named;
use creneau_tests::db_test;
use entities::organisation;
use sea_orm::{EntityTrait, PaginatorTrait};

db_test!(
    async fn a_new_organisation_name_creates_that_organisation_beside_the_existing_one(app: TestApp) {
        let (arles, _) = app.organisation("arles").await;
        let db = &app.state.db;
        let clock = &app.state.clock;
        let b = organisation_named(db, clock, "Ville B", "admin@ville-b.example", "Europe/Paris")
            .await
            .unwrap();
        assert_ne!(b.id, arles, "the new admin does not join Arles");
        assert_eq!((b.name.as_str(), b.slug.as_str()), ("Ville B", "ville-b"));
        // A second account for Ville B joins it; a third town is a third organisation.
        let again = organisation_named(db, clock, "Ville B", "autre@ville-b.example", "Europe/Paris")
            .await
            .unwrap();
        assert_eq!(again.id, b.id);
        let c = organisation_named(db, clock, "Ville C", "admin@ville-c.example", "Europe/Paris")
            .await
            .unwrap();
        assert_ne!(c.id, b.id);
        assert_eq!(organisation::Entity::find().count(db).await.unwrap(), 3);
    }
);

db_test!(
    async fn two_names_with_the_same_slug_get_two_organisations(app: TestApp) {
        let db = &app.state.db;
        let clock = &app.state.clock;
        let a = organisation_named(db, clock, "Saint-Rémy", "a@exemple.fr", "Europe/Paris")
            .await
            .unwrap();
        let b = organisation_named(db, clock, "Saint Rémy", "b@exemple.fr", "Europe/Paris")
            .await
            .unwrap();
        assert_ne!(a.id, b.id);
        assert_eq!((a.slug.as_str(), b.slug.as_str()), ("saint-remy", "saint-remy-2"));
    }
);
