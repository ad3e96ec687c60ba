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
# What it does: uploads the static binary, runs it with sudo (reports written on the machine),
# downloads the JSON, JUnit and HTML reports into `reports_dir`, removes its files from the
# machine, and only then fails the build with imagegate's exit code (1: failing findings,
# 2: the scan could not be run or trusted), so the reports are there to read either way.

variable "imagegate_binary" {
  type        = string
  default     = "imagegate"
  description = "Local path of the static imagegate binary (make build: target/x86_64-unknown-linux-gnu/release/imagegate)."
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
    destination = "/tmp/imagegate"
  }

  # Runs the scan and records its exit code without failing yet: the reports are downloaded
  # first. The findings (text report) are printed here, in the Packer log.
  provisioner "shell" {
    inline = [
      "chmod 0755 /tmp/imagegate && mkdir -p /tmp/imagegate-out",
      "rc=0; sudo /tmp/imagegate scan --root '${var.scan_root}' ${var.imagegate_args} --color never --report json=/tmp/imagegate-out/imagegate.json --report junit=/tmp/imagegate-out/imagegate.xml --report html=/tmp/imagegate-out/imagegate.html || rc=$?",
      "echo $rc > /tmp/imagegate-out/exit-code",
      "sudo chown -R \"$(id -u):$(id -g)\" /tmp/imagegate-out",
    ]
  }

  provisioner "file" {
    direction   = "download"
    source      = "/tmp/imagegate-out/imagegate.json"
    destination = "${var.reports_dir}/imagegate.json"
  }

  provisioner "file" {
    direction   = "download"
    source      = "/tmp/imagegate-out/imagegate.xml"
    destination = "${var.reports_dir}/imagegate.xml"
  }

  provisioner "file" {
    direction   = "download"
    source      = "/tmp/imagegate-out/imagegate.html"
    destination = "${var.reports_dir}/imagegate.html"
  }

  # The gate: leave nothing behind in the image, then exit with imagegate's code. A nonzero exit
  # fails `packer build` (exit 1) before any snapshot is taken.
  provisioner "shell" {
    inline = [
      "rc=$(cat /tmp/imagegate-out/exit-code)",
      "sudo rm -rf /tmp/imagegate /tmp/imagegate-out",
      "echo \"imagegate exited with $rc (0: no failing finding, 1: failing findings, 2: could not scan)\"",
      "exit $rc",
    ]
  }
}
