# imagegate as the last provisioner step of a Packer build (HCL2; Packer >= 1.6).
#
# The `null` source below connects to any machine over SSH, which is what scripts/e2e-pipeline.sh
# uses to prove the template with a real `packer build`. In an image build, copy the three
# provisioner groups (upload, scan, download + gate) to the end of your own `build` block, after
# your cleanup: they only need the communicator of your builder (amazon-ebs, qemu, azure-arm, ...).
#
#   packer build -var ssh_host=10.0.0.5 -var ssh_username=admin \
#     -var ssh_private_key_file=~/.ssh/id_ed25519 -var imagegate_binary=./imagegate imagegate.pkr.hcl
#
#   sh ../fetch-imagegate.sh 0.1.0          # ./imagegate and ./imagegate.sha256, both sums checked
#   packer build ... -var imagegate_binary=./imagegate -var imagegate_sha256=$(cat imagegate.sha256) imagegate.pkr.hcl
#
# What it does: uploads the static binary, then imagegate-scan.sh (run with `sh`, so a noexec
# /tmp does not matter) checks its SHA-256, installs it as root in a private directory where it can
# actually execute (CIS-hardened images mount /tmp noexec: /run, /var/lib or /root is tried, by
# running it), runs the scan, and removes the binary; the JSON, JUnit and HTML reports are
# downloaded into `reports_dir`, and only then does the gate fail the build with imagegate's exit
# code (1: failing findings, 2: the scan could not be trusted), so the reports are there to read
# either way. When imagegate could not be run at all (checksum mismatch, nowhere executable), the
# scan step itself fails with exit status 3 and says why: never mistaken for failing findings.

variable "imagegate_binary" {
  type        = string
  default     = "imagegate"
  description = "Local path of the static imagegate binary (make build: target/x86_64-unknown-linux-gnu/release/imagegate)."
}

variable "imagegate_sha256" {
  type        = string
  description = "SHA-256 of the binary (imagegate.sha256 from fetch-imagegate.sh, or the SHA256SUMS of a release): checked on the machine before it runs."
}

variable "upload_dir" {
  type        = string
  default     = "/tmp"
  description = "Where the file provisioner uploads the binary (only written there, never executed from there)."
}

variable "imagegate_args" {
  type        = string
  default     = "--profile cloud-image"
  description = "Arguments after `imagegate scan`: profile, --fail-on, --only/--skip, --var."
}

variable "scan_root" {
  type        = string
  default     = "/"
  description = "What to scan on the machine: `/` (the machine itself) or an unpacked image root."
}

variable "reports_dir" {
  type    = string
  default = "reports"
}

variable "ssh_host" {
  type = string
}

variable "ssh_port" {
  type    = number
  default = 22
}

variable "ssh_username" {
  type = string
}

variable "ssh_private_key_file" {
  type = string
}

source "null" "gate" {
  communicator         = "ssh"
  ssh_host             = var.ssh_host
  ssh_port             = var.ssh_port
  ssh_username         = var.ssh_username
  ssh_private_key_file = var.ssh_private_key_file
  ssh_timeout          = "2m"
}

build {
  sources = ["source.null.gate"]

  # ... your provisioners and cleanup go here ...

  provisioner "file" {
    source      = var.imagegate_binary
    destination = "${var.upload_dir}/imagegate"
  }

  # Checks, installs where it can execute, scans, removes the binary; records the scan's exit code
  # without failing yet (the reports are downloaded first). The findings are printed here, in the
  # Packer log. `sh FILE`: Packer's default `chmod +x FILE; FILE` fails on a noexec /tmp.
  provisioner "shell" {
    script          = "${path.root}/imagegate-scan.sh"
    execute_command = "{{.Vars}} sh '{{.Path}}'"
    environment_vars = [
      "IMAGEGATE_UPLOAD=${var.upload_dir}/imagegate",
      "IMAGEGATE_SHA256=${var.imagegate_sha256}",
      "IMAGEGATE_ROOT=${var.scan_root}",
      "IMAGEGATE_ARGS=${var.imagegate_args}",
      "IMAGEGATE_OUT=${var.upload_dir}/imagegate-out",
    ]
  }

  provisioner "file" {
    direction   = "download"
    source      = "${var.upload_dir}/imagegate-out/imagegate.json"
    destination = "${var.reports_dir}/imagegate.json"
  }

  provisioner "file" {
    direction   = "download"
    source      = "${var.upload_dir}/imagegate-out/imagegate.xml"
    destination = "${var.reports_dir}/imagegate.xml"
  }

  provisioner "file" {
    direction   = "download"
    source      = "${var.upload_dir}/imagegate-out/imagegate.html"
    destination = "${var.reports_dir}/imagegate.html"
  }

  # The gate: leave nothing behind in the image, then exit with imagegate's code. A nonzero exit
  # fails `packer build` (exit 1) before any snapshot is taken.
  provisioner "shell" {
    execute_command = "{{.Vars}} sh '{{.Path}}'"
    inline = [
      "rc=$(cat '${var.upload_dir}/imagegate-out/exit-code')",
      "rm -rf '${var.upload_dir}/imagegate-out'",
      "echo \"imagegate exited with $rc (0: no failing finding, 1: failing findings, 2: the scan could not be trusted)\"",
      "exit $rc",
    ]
  }
}
