//! Billing addresses and VAT numbers.

use serde::{Deserialize, Serialize};

use crate::text::{InvalidValue, bounded, optional, optional_printed, printed, text_type};

text_type!(
    /// A South African VAT registration number: ten digits starting with 4.
    VatNumber, field = "vatNumber", max = 10, allowed = |c| c.is_ascii_digit(),
    expected = "must be ten digits starting with 4",
    whole = |v| v.len() == 10 && v.starts_with('4')
);

/// Who is billed and where: the recipient block of a tax invoice.
///
/// Built from a [`BillingAddressInput`] (the transport shape) by [`BillingAddress::parse`];
/// every field is trimmed, bounded, free of control characters and
/// [printable](crate::is_printable): it is the recipient block of a tax invoice, and a name
/// the invoice cannot print is refused here rather than printed as `?` there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BillingAddressInput", into = "BillingAddressInput")]
pub struct BillingAddress {
    name: String,
    company: Option<String>,
    vat_number: Option<VatNumber>,
    line1: String,
    line2: Option<String>,
    city: String,
    province: Option<String>,
    postal_code: String,
    country: String,
}

/// The unvalidated fields of a billing address, as they arrive in a request or an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct BillingAddressInput {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code; `ZA` when empty.
    #[serde(default)]
    pub country: String,
}

impl BillingAddress {
    /// Validates an address.
    ///
    /// # Errors
    /// [`InvalidValue`] naming the first field that is empty, too long, contains a control
    /// character or a character that cannot be printed
    /// ([`Unprintable`](InvalidValue::Unprintable)), or has the wrong shape.
    pub fn parse(input: &BillingAddressInput) -> Result<Self, InvalidValue> {
        let postal_code = bounded("billingAddress.postalCode", &input.postal_code, 16)?;
        if !postal_code.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') {
            return Err(InvalidValue::Format {
                field: "billingAddress.postalCode",
                expected: "may contain only letters, digits, spaces and '-'",
            });
        }
        let country = match input.country.trim() {
            "" => "ZA".to_owned(),
            code if code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()) => code.to_ascii_uppercase(),
            _ => {
                return Err(InvalidValue::Format {
                    field: "billingAddress.country",
                    expected: "must be a two-letter ISO 3166 country code",
                });
            }
        };
        Ok(Self {
            name: printed("billingAddress.name", &input.name, 120)?,
            company: optional_printed("billingAddress.company", input.company.as_deref(), 120)?,
            vat_number: optional("billingAddress.vatNumber", input.vat_number.as_deref(), 10)?
                .map(VatNumber::parse)
                .transpose()?,
            line1: printed("billingAddress.line1", &input.line1, 200)?,
            line2: optional_printed("billingAddress.line2", input.line2.as_deref(), 200)?,
            city: printed("billingAddress.city", &input.city, 100)?,
            province: optional_printed("billingAddress.province", input.province.as_deref(), 100)?,
            postal_code,
            country,
        })
    }

    /// The person billed.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The company billed, if any.
    pub fn company(&self) -> Option<&str> {
        self.company.as_deref()
    }
    /// The recipient's VAT number, if registered.
    pub fn vat_number(&self) -> Option<&VatNumber> {
        self.vat_number.as_ref()
    }
    /// First address line.
    pub fn line1(&self) -> &str {
        &self.line1
    }
    /// Second address line, if any.
    pub fn line2(&self) -> Option<&str> {
        self.line2.as_deref()
    }
    /// City or town.
    pub fn city(&self) -> &str {
        &self.city
    }
    /// Province, if given.
    pub fn province(&self) -> Option<&str> {
        self.province.as_deref()
    }
    /// Postal code.
    pub fn postal_code(&self) -> &str {
        &self.postal_code
    }
    /// ISO 3166-1 alpha-2 country code.
    pub fn country(&self) -> &str {
        &self.country
    }
}

impl TryFrom<BillingAddressInput> for BillingAddress {
    type Error = InvalidValue;
    fn try_from(input: BillingAddressInput) -> Result<Self, Self::Error> {
        Self::parse(&input)
    }
}

impl From<BillingAddress> for BillingAddressInput {
    fn from(a: BillingAddress) -> Self {
        Self {
            name: a.name,
            company: a.company,
            vat_number: a.vat_number.map(String::from),
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            province: a.province,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BillingAddressInput {
        BillingAddressInput {
            name: "Thandi Nkosi".into(),
            line1: "12 Long Street".into(),
            city: "Cape Town".into(),
            postal_code: "8001".into(),
            ..BillingAddressInput::default()
        }
    }

    #[test]
    fn parses_and_defaults_country() {
        let address = BillingAddress::parse(&input()).unwrap();
        assert_eq!(address.country(), "ZA");
        assert_eq!(address.vat_number(), None);
        assert_eq!(address.line2(), None);
    }

    #[test]
    fn names_the_bad_field() {
        let mut bad = input();
        bad.city = "Cape\nTown".into();
        assert_eq!(BillingAddress::parse(&bad), Err(InvalidValue::ControlCharacter { field: "billingAddress.city" }));
        let mut bad = input();
        bad.name = "x".repeat(121);
        assert_eq!(BillingAddress::parse(&bad), Err(InvalidValue::TooLong { field: "billingAddress.name", max: 120 }));
        let mut bad = input();
        bad.country = "ZAF".into();
        assert!(BillingAddress::parse(&bad).is_err());
    }

    #[test]
    fn every_printed_field_refuses_what_the_invoice_cannot_print() {
        for (field, set) in [
            ("billingAddress.name", (|a: &mut BillingAddressInput, v: String| a.name = v) as fn(&mut _, _)),
            ("billingAddress.company", |a, v| a.company = Some(v)),
            ("billingAddress.line1", |a, v| a.line1 = v),
            ("billingAddress.line2", |a, v| a.line2 = Some(v)),
            ("billingAddress.city", |a, v| a.city = v),
            ("billingAddress.province", |a, v| a.province = Some(v)),
        ] {
            for (value, character) in
                [("王小明", '王'), ("Zoë 😀", '😀'), ("山田 Hanako", '山'), ("Ali 🇿🇦", '\u{1F1FF}')]
            {
                let mut bad = input();
                set(&mut bad, value.to_owned());
                assert_eq!(BillingAddress::parse(&bad), Err(InvalidValue::Unprintable { field, character }), "{value}");
            }
            for value in ["Zoë Nkosi-O'Brien", "Ζωή", "Юлия", "Սարգիս", "שרה כהן", "محمد علي", "Nguyễn", "№ 5"]
            {
                let mut good = input();
                set(&mut good, value.to_owned());
                assert!(BillingAddress::parse(&good).is_ok(), "{field}: {value}");
            }
        }
        let mut bad = input();
        bad.name = "王".into();
        let message = BillingAddress::parse(&bad).unwrap_err().to_string();
        assert_eq!(
            message,
            "billingAddress.name contains '王' (U+738B), which cannot be printed on a tax invoice; write it in \
             Latin, Greek, Cyrillic, Armenian, Hebrew or Arabic letters, without emoji"
        );
    }

    #[test]
    fn vat_numbers_are_ten_digits_starting_with_four() {
        assert!(VatNumber::parse("4123456789").is_ok());
        assert!(VatNumber::parse("5123456789").is_err());
        assert!(VatNumber::parse("412345678").is_err());
        let mut with_vat = input();
        with_vat.vat_number = Some("4123456789".into());
        assert_eq!(BillingAddress::parse(&with_vat).unwrap().vat_number().unwrap().as_str(), "4123456789");
    }

    #[test]
    fn json_round_trip_goes_through_validation() {
        let address = BillingAddress::parse(&input()).unwrap();
        let json = serde_json::to_string(&address).unwrap();
        assert_eq!(serde_json::from_str::<BillingAddress>(&json).unwrap(), address);
        assert!(serde_json::from_str::<BillingAddress>(&json.replace("8001", "80\\n01")).is_err());
    }
}
