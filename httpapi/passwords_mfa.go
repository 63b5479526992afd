package httpapi

import (
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
)

// passwordMFARoutes routes login profiles, the account password policy and
// MFA devices.
func (h *Handler) passwordMFARoutes() map[string]operation {
	return map[string]operation{
		"CreateLoginProfile": h.createLoginProfile,
		"GetLoginProfile":    h.getLoginProfile,
		"UpdateLoginProfile": h.updateLoginProfile,
		"DeleteLoginProfile": h.deleteLoginProfile,
		"ChangePassword":     h.changePassword,

		"UpdateAccountPasswordPolicy": h.updateAccountPasswordPolicy,
		"GetAccountPasswordPolicy":    h.getAccountPasswordPolicy,
		"DeleteAccountPasswordPolicy": h.deleteAccountPasswordPolicy,

		"CreateVirtualMFADevice": h.createVirtualMFADevice,
		"EnableMFADevice":        h.enableMFADevice,
		"ResyncMFADevice":        h.resyncMFADevice,
		"DeactivateMFADevice":    h.deactivateMFADevice,
		"DeleteVirtualMFADevice": h.deleteVirtualMFADevice,
		"ListMFADevices":         h.listMFADevices,
		"ListVirtualMFADevices":  h.listVirtualMFADevices,
		"GetMFADevice":           h.getMFADevice,
		"TagMFADevice":           h.tagMFADevice,
		"UntagMFADevice":         h.untagMFADevice,
		"ListMFADeviceTags":      h.listMFADeviceTags,
	}
}

func optBool(in awsquery.Struct, name string) *bool {
	if b, ok := in[name].(bool); ok {
		return &b
	}
	return nil
}

// Login profiles.

func loginProfileOut(r *iam.LoginProfileResult) awsquery.Struct {
	return awsquery.Struct{"LoginProfile": awsquery.Struct{
		"UserName":              r.UserName,
		"CreateDate":            r.Profile.CreateDate,
		"PasswordResetRequired": r.Profile.PasswordResetRequired,
	}}
}

func (h *Handler) createLoginProfile(c *call) (awsquery.Struct, error) {
	password := optStr(c.in, "Password")
	if password == nil {
		// The model leaves Password optional only for AssumeRoot
		// sessions, which iamd does not issue.
		return nil, iam.Errorf(iam.CodeValidationError, "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null")
	}
	r, err := h.svc.CreateLoginProfile(c.ctx, c.principal, str(c.in, "UserName"), *password, boolIn(c.in, "PasswordResetRequired"))
	if err != nil {
		return nil, err
	}
	return loginProfileOut(r), nil
}

func (h *Handler) getLoginProfile(c *call) (awsquery.Struct, error) {
	r, err := h.svc.GetLoginProfile(c.ctx, c.principal, str(c.in, "UserName"))
	if err != nil {
		return nil, err
	}
	return loginProfileOut(r), nil
}

func (h *Handler) updateLoginProfile(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateLoginProfile(c.ctx, c.principal, str(c.in, "UserName"), optStr(c.in, "Password"), optBool(c.in, "PasswordResetRequired"))
}

func (h *Handler) deleteLoginProfile(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteLoginProfile(c.ctx, c.principal, str(c.in, "UserName"))
}

func (h *Handler) changePassword(c *call) (awsquery.Struct, error) {
	return nil, h.svc.ChangePassword(c.ctx, c.principal, str(c.in, "OldPassword"), str(c.in, "NewPassword"))
}

// Account password policy.

func (h *Handler) updateAccountPasswordPolicy(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateAccountPasswordPolicy(c.ctx, c.principal, iam.PasswordPolicyInput{
		MinimumPasswordLength:      optInt(c.in, "MinimumPasswordLength"),
		RequireSymbols:             boolIn(c.in, "RequireSymbols"),
		RequireNumbers:             boolIn(c.in, "RequireNumbers"),
		RequireUppercaseCharacters: boolIn(c.in, "RequireUppercaseCharacters"),
		RequireLowercaseCharacters: boolIn(c.in, "RequireLowercaseCharacters"),
		AllowUsersToChangePassword: boolIn(c.in, "AllowUsersToChangePassword"),
		MaxPasswordAge:             optInt(c.in, "MaxPasswordAge"),
		PasswordReusePrevention:    optInt(c.in, "PasswordReusePrevention"),
		HardExpiry:                 boolIn(c.in, "HardExpiry"),
	})
}

func (h *Handler) getAccountPasswordPolicy(c *call) (awsquery.Struct, error) {
	p, err := h.svc.GetAccountPasswordPolicy(c.ctx, c.principal)
	if err != nil {
		return nil, err
	}
	out := awsquery.Struct{
		"MinimumPasswordLength":      p.MinimumPasswordLength,
		"RequireSymbols":             p.RequireSymbols,
		"RequireNumbers":             p.RequireNumbers,
		"RequireUppercaseCharacters": p.RequireUppercaseCharacters,
		"RequireLowercaseCharacters": p.RequireLowercaseCharacters,
		"AllowUsersToChangePassword": p.AllowUsersToChangePassword,
		"ExpirePasswords":            p.ExpirePasswords(),
	}
	// AWS leaves out what was never set; HardExpiry appears with a
	// MaxPasswordAge.
	if p.MaxPasswordAge > 0 {
		out["MaxPasswordAge"] = p.MaxPasswordAge
		out["HardExpiry"] = p.HardExpiry
	} else if p.HardExpiry {
		out["HardExpiry"] = true
	}
	if p.PasswordReusePrevention > 0 {
		out["PasswordReusePrevention"] = p.PasswordReusePrevention
	}
	return awsquery.Struct{"PasswordPolicy": out}, nil
}

func (h *Handler) deleteAccountPasswordPolicy(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteAccountPasswordPolicy(c.ctx, c.principal)
}

// MFA devices.

func (h *Handler) createVirtualMFADevice(c *call) (awsquery.Struct, error) {
	d, err := h.svc.CreateVirtualMFADevice(c.ctx, c.principal, iam.CreateVirtualMFADeviceInput{
		Name: str(c.in, "VirtualMFADeviceName"),
		Path: str(c.in, "Path"),
		Tags: tagsIn(c.in, "Tags"),
	})
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"VirtualMFADevice": withTags(awsquery.Struct{
		"SerialNumber":     d.Device.SerialNumber,
		"Base32StringSeed": []byte(d.Base32StringSeed),
		"QRCodePNG":        d.QRCodePNG,
	}, d.Device.Tags)}, nil
}

func (h *Handler) enableMFADevice(c *call) (awsquery.Struct, error) {
	return nil, h.svc.EnableMFADevice(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "SerialNumber"),
		str(c.in, "AuthenticationCode1"), str(c.in, "AuthenticationCode2"))
}

func (h *Handler) resyncMFADevice(c *call) (awsquery.Struct, error) {
	return nil, h.svc.ResyncMFADevice(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "SerialNumber"),
		str(c.in, "AuthenticationCode1"), str(c.in, "AuthenticationCode2"))
}

func (h *Handler) deactivateMFADevice(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeactivateMFADevice(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "SerialNumber"))
}

func (h *Handler) deleteVirtualMFADevice(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteVirtualMFADevice(c.ctx, c.principal, str(c.in, "SerialNumber"))
}

func (h *Handler) listMFADevices(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListMFADevices(c.ctx, c.principal, str(c.in, "UserName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "MFADevices", p, func(r *iam.MFADeviceResult) awsquery.Struct {
		return awsquery.Struct{"UserName": r.UserName, "SerialNumber": r.Device.SerialNumber, "EnableDate": r.Device.EnableDate}
	}), nil
}

// mfaUserOut is the User element of an assigned virtual MFA device; for
// the root user AWS gives only its ID (the account ID), ARN and dates.
func (h *Handler) mfaUserOut(c *call, r *iam.MFADeviceResult) (awsquery.Struct, bool) {
	switch {
	case r.User != nil:
		return userOut(r.User, false), true
	case r.Root:
		s := awsquery.Struct{"UserId": r.Device.AccountID, "Arn": "arn:" + iam.Partition + ":iam::" + r.Device.AccountID + ":root"}
		if a := h.svc.Account(r.Device.AccountID); a != nil {
			s["CreateDate"] = a.CreateDate
		}
		return s, true
	}
	return nil, false
}

func (h *Handler) listVirtualMFADevices(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListVirtualMFADevices(c.ctx, c.principal, str(c.in, "AssignmentStatus"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "VirtualMFADevices", p, func(r *iam.MFADeviceResult) awsquery.Struct {
		s := awsquery.Struct{"SerialNumber": r.Device.SerialNumber}
		if u, ok := h.mfaUserOut(c, r); ok {
			s["User"] = u
			s["EnableDate"] = r.Device.EnableDate
		}
		return s
	}), nil
}

func (h *Handler) getMFADevice(c *call) (awsquery.Struct, error) {
	r, err := h.svc.GetMFADevice(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "SerialNumber"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"UserName": r.UserName, "SerialNumber": r.Device.SerialNumber, "EnableDate": r.Device.EnableDate}, nil
}

func (h *Handler) tagMFADevice(c *call) (awsquery.Struct, error) {
	return nil, h.svc.TagMFADevice(c.ctx, c.principal, str(c.in, "SerialNumber"), tagsIn(c.in, "Tags"))
}

func (h *Handler) untagMFADevice(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UntagMFADevice(c.ctx, c.principal, str(c.in, "SerialNumber"), stringsIn(c.in, "TagKeys"))
}

func (h *Handler) listMFADeviceTags(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListMFADeviceTags(c.ctx, c.principal, str(c.in, "SerialNumber"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return tagPageOut(p), nil
}
