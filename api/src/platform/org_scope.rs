//! One lookup for "this row, if it belongs to this organisation". A row of another
//! organisation is answered as absent, never as forbidden: its existence is not ours to
//! reveal. Rows without an organisation column are scoped through their parent (a rule
//! through its place, a registration through its session).
use entities::{
    appointment, closure, extra_opening, feed_token, motif, opening_rule, outbox, place, registration, session,
    staff_member, workshop,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, PrimaryKeyTrait, QueryFilter, QuerySelect,
    RelationTrait, Select,
};

/// An entity whose rows belong to one organisation.
pub(crate) trait InOrganisation: EntityTrait {
    /// `select` narrowed to the rows of `organisation_id`.
    fn in_organisation(select: Select<Self>, organisation_id: i32) -> Select<Self>;
}

/// The row `id` of `E`, if it belongs to `organisation_id`.
pub(crate) async fn find_in_org<E, C>(
    db: &C,
    organisation_id: i32,
    id: <E::PrimaryKey as PrimaryKeyTrait>::ValueType,
) -> Result<Option<E::Model>, DbErr>
where
    E: InOrganisation,
    C: ConnectionTrait,
{
    E::in_organisation(E::find_by_id(id), organisation_id).one(db).await
}

macro_rules! owned_directly {
    ($($entity:ident),*) => {$(
        impl InOrganisation for $entity::Entity {
            fn in_organisation(select: Select<Self>, organisation_id: i32) -> Select<Self> {
                select.filter($entity::Column::OrganisationId.eq(organisation_id))
            }
        }
    )*};
}

owned_directly!(
    place,
    workshop,
    session,
    staff_member,
    motif,
    appointment,
    outbox,
    feed_token
);

macro_rules! owned_through {
    ($parent:ident: $($entity:ident),*) => {$(
        impl InOrganisation for $entity::Entity {
            fn in_organisation(select: Select<Self>, organisation_id: i32) -> Select<Self> {
                select
                    .join(JoinType::InnerJoin, $entity::Relation::$parent.def())
                    .filter(parent_org!($parent).eq(organisation_id))
            }
        }
    )*};
}

macro_rules! parent_org {
    (Place) => {
        place::Column::OrganisationId
    };
    (Session) => {
        session::Column::OrganisationId
    };
}

owned_through!(Place: opening_rule, extra_opening, closure);
owned_through!(Session: registration);
